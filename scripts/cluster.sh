#!/usr/bin/env bash
# Starts a local Dispatch cluster: N silos of one Orleans cluster on one PostgreSQL database (storage and ADO.NET
# clustering), silo i on silo port 11111+i, gateway port 30000+i and HTTP port 5081+i, all on 127.0.0.1.
# Stops them all on Ctrl-C (SIGTERM: a clean shutdown each).
#
#   DISPATCH_DB='Host=127.0.0.1;Port=5432;Username=postgres;Password=...;Database=dispatch;Maximum Pool Size=20' \
#   DISPATCH_ADMIN_KEY='a-long-admin-secret' scripts/cluster.sh 3
#
# Environment:
#   DISPATCH_DB          Npgsql connection string (required); the schema is applied at start.
#   DISPATCH_ADMIN_KEY   admin key, at least 16 characters (default: a random one, printed).
#   DISPATCH_CLUSTER_ID  Orleans cluster id (default: dispatch-local); DISPATCH_SERVICE_ID service id (default: dispatch).
#   DISPATCH_NO_BUILD=1  skip `dotnet build -c Release Silo`.
#   DISPATCH_PORT_OFFSET added to every port (default 0), to run beside another cluster on one machine.
#   DISPATCH_STATE_DIR   where logs and pids go (default: ./.cluster/): silo-<i>.log, silo-<i>.pid.
set -euo pipefail

count="${1:-3}"
if ! [[ "$count" =~ ^[1-9][0-9]?$ ]]; then
  echo "usage: $0 [number of silos, 1..99] (default 3)" >&2
  exit 2
fi

if [[ -z "${DISPATCH_DB:-}" ]]; then
  echo "Set DISPATCH_DB to an Npgsql connection string (include 'Maximum Pool Size=20')." >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${DISPATCH_STATE_DIR:-$root/.cluster}"
mkdir -p "$state"
admin_key="${DISPATCH_ADMIN_KEY:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
if (( ${#admin_key} < 16 )); then
  echo "DISPATCH_ADMIN_KEY must be at least 16 characters." >&2
  exit 2
fi

cluster_id="${DISPATCH_CLUSTER_ID:-dispatch-local}"
offset="${DISPATCH_PORT_OFFSET:-0}"
if ! [[ "$offset" =~ ^[0-9]{1,4}$ ]]; then
  echo "DISPATCH_PORT_OFFSET must be a number from 0 to 9999." >&2
  exit 2
fi
service_id="${DISPATCH_SERVICE_ID:-dispatch}"

if [[ "${DISPATCH_NO_BUILD:-0}" != "1" ]]; then
  dotnet build -c Release "$root/Silo" --nologo -v quiet
fi

dll="$root/Silo/bin/Release/net10.0/Dispatch.Silo.dll"
if [[ ! -f "$dll" ]]; then
  echo "$dll was not built." >&2
  exit 1
fi

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping ${#pids[@]} silo(s)..."
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -f "$state"/silo-*.pid
  echo "stopped."
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

for (( i = 0; i < count; i++ )); do
  silo_port=$((11111 + offset + i))
  gateway_port=$((30000 + offset + i))
  http_port=$((5081 + offset + i))
  log="$state/silo-$i.log"
  dotnet "$dll" \
    --Dispatch:AdminKey "$admin_key" \
    --Dispatch:Storage postgres \
    --Dispatch:Clustering postgres \
    --ConnectionStrings:Dispatch "$DISPATCH_DB" \
    --Orleans:ClusterId "$cluster_id" \
    --Orleans:ServiceId "$service_id" \
    --Orleans:SiloPort "$silo_port" \
    --Orleans:GatewayPort "$gateway_port" \
    --Orleans:AdvertisedIP 127.0.0.1 \
    --urls "http://127.0.0.1:$http_port" \
    >"$log" 2>&1 &
  pids+=("$!")
  echo "$!" >"$state/silo-$i.pid"
  echo "silo $i: pid $!, silo port $silo_port, gateway port $gateway_port, http://127.0.0.1:$http_port (log $log)"
done

# Wait (bounded) until every silo answers ready, or one of them exits.
for (( i = 0; i < count; i++ )); do
  http_port=$((5081 + offset + i))
  ready=0
  for (( attempt = 0; attempt < 120; attempt++ )); do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "silo $i exited; last lines of its log:" >&2
      tail -n 20 "$state/silo-$i.log" >&2
      exit 1
    fi
    if curl -fsS -o /dev/null "http://127.0.0.1:$http_port/health/ready" 2>/dev/null; then
      ready=1
      break
    fi
    sleep 0.5
  done
  if (( ready == 0 )); then
    echo "silo $i was not ready within 60 s; see $state/silo-$i.log" >&2
    exit 1
  fi
done

if [[ -z "${DISPATCH_ADMIN_KEY:-}" ]]; then
  echo "admin key: $admin_key"
fi
echo "all $count silo(s) ready. Ctrl-C stops them."

# Stay in the foreground until Ctrl-C, or until a silo exits by itself.
while true; do
  for (( i = 0; i < count; i++ )); do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "silo $i (pid ${pids[$i]}) exited; see $state/silo-$i.log" >&2
      exit 1
    fi
  done
  sleep 1
done
