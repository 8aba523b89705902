#!/usr/bin/env bash
# Refreshes the vendored Label Studio editor bundle (Silo/web/lib/label-studio/<version>/) from the npm registry:
# `npm pack` fetches the one tarball (no `npm install`, whose dependencies the prebuilt bundle does not need), and the
# files are copied only when their sha256 matches the values recorded here, so a changed upstream tarball stops it.
#
#   scripts/vendor-label-studio.sh
set -euo pipefail

version="1.4.0"
main_js_sha256="231219b8ed42826185320d13d907615cc1e3f16755b6a5af62117611453a39ef"
main_css_sha256="818ed51653bd39069e2fe0204fb84aa7095a5e47db27cae8fad7490bf59c88a8"

repo="$(cd "$(dirname "$0")/.." && pwd)"
target="$repo/Silo/web/lib/label-studio/$version"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "@heartexlabs/label-studio@$version" > /dev/null && tar xzf heartexlabs-label-studio-*.tgz)
package="$work/package"
echo "$main_js_sha256  $package/build/static/js/main.js" | sha256sum --check --quiet
echo "$main_css_sha256  $package/build/static/css/main.css" | sha256sum --check --quiet

mkdir -p "$target"
cp "$package/build/static/js/main.js" "$package/build/static/js/main.js.LICENSE.txt" \
   "$package/build/static/css/main.css" "$package/LICENSE" "$target/"
echo "Label Studio $version vendored in $target"
