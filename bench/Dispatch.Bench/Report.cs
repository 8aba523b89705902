using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ScottPlot;

namespace Dispatch.Bench;

/// <summary>What <c>report</c> reads and writes.</summary>
public sealed class ReportOptions
{
    /// <summary>JSON lines written by the simulator (<c>--json-out</c>).</summary>
    public string Results { get; private set; } = "";

    /// <summary>The Markdown file to write. Default: docs/benchmarks.md.</summary>
    public string Out { get; private set; } = "docs/benchmarks.md";

    /// <summary>The PNG chart to write next to it. Default: docs/benchmarks.png.</summary>
    public string Chart { get; private set; } = "docs/benchmarks.png";

    /// <summary>The worker count the issue's targets are taken at. Default: 256.</summary>
    public int TargetWorkers { get; private set; } = 256;

    /// <summary>Seconds of warm-up each crowd run had before it was measured, stated in the text. Default: 0.</summary>
    public int WarmupSeconds { get; private set; }

    /// <summary>Facts about the run (machine, date, command), shown in order.</summary>
    public List<(string Name, string Value)> Meta { get; } = [];

    /// <summary>
    /// Per system, the top frames <c>dotnet-trace report ... topN --inclusive</c> printed for a CPU sample trace of its
    /// server; a file that is missing is reported as not measured. Default: none (no section).
    /// </summary>
    public List<(string System, string Path)> Profiles { get; } = [];

    public static ReportOptions Parse(IReadOnlyList<string> args)
    {
        var o = new ReportOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "--results": o.Results = Value(); break;
                case "--out": o.Out = Value(); break;
                case "--chart": o.Chart = Value(); break;
                case "--target-workers": o.TargetWorkers = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--warmup-seconds": o.WarmupSeconds = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--meta":
                    var pair = Value().Split('=', 2);
                    o.Meta.Add((pair[0], pair.Length > 1 ? pair[1] : ""));
                    break;
                case "--profile":
                    var profile = Value().Split('=', 2);
                    o.Profiles.Add(profile.Length == 2 ? (profile[0], profile[1]) : throw new ArgumentException("--profile takes system=file."));
                    break;
                default: throw new ArgumentException($"Unknown option '{name}'.");
            }
        }

        return o.Results.Length == 0 ? throw new ArgumentException("report needs --results.") : o;
    }
}

/// <summary>Turns the simulator's JSON lines into docs/benchmarks.md and docs/benchmarks.png.</summary>
public static class Report
{
    private static readonly string[] Systems = ["ceiling", "dispatch-memory", "dispatch-postgres", "peer"];
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Write(ReportOptions options)
    {
        var runs = File.ReadAllLines(options.Results)
            .Where(l => l.TrimStart().StartsWith('{'))
            .Select(l => JsonNode.Parse(l)!.AsObject())
            .ToList();
        var md = new StringBuilder();
        md.AppendLine("# Benchmarks");
        md.AppendLine();
        md.AppendLine("Written by `bench/run.sh` (do not edit by hand; run it again). Four systems answer the same crowd of");
        md.AppendLine("virtual workers, simulated by `bench/Dispatch.Bench` over HTTP on the same machine: each worker has its own");
        md.AppendLine("token and connection and loops claim → submit until no work is left; one cycle is one claim (`201`) and one");
        md.AppendLine("submit (`200`). Latencies are per request as the client sees it (HdrHistogram); claim latency counts claims");
        md.AppendLine("that got a lease. CPU is the processes' user+system time over the run, in cores (seconds of CPU per second).");
        md.AppendLine();
        md.AppendLine("- **ceiling**: `bench/Ceiling`, a bare ASP.NET Core app on the same Kestrel settings whose two POST endpoints read a");
        md.AppendLine("  small JSON body and answer `204`: the cost of HTTP itself, with the same two requests per cycle.");
        md.AppendLine("- **dispatch-memory**: the Dispatch silo with `Dispatch:Storage memory`.");
        md.AppendLine("- **dispatch-postgres**: the Dispatch silo with `Dispatch:Storage postgres` (pool of 30).");
        md.AppendLine("- **peer**: `bench/Peer`, the claim/submit subset of the API on PostgreSQL done the graphile-worker/River/Oban");
        md.AppendLine("  way: one `UPDATE … (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING` statement per claim, a one-statement");
        md.AppendLine("  submit, binary `COPY` import, pooled `NpgsqlDataSource` (pool of 30).");
        md.AppendLine();
        md.AppendLine("PostgreSQL 15 runs with its default durability (`fsync` and `synchronous_commit` on), a fresh database per run.");
        md.AppendLine();
        if (options.WarmupSeconds > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"All results are taken after a warm-up of about {options.WarmupSeconds} s per run: on the same fresh server, the same crowd first");
            md.AppendLine("works through a project of its own sized to that many seconds at the system's last measured rate, so that JIT");
            md.AppendLine("tiering, pools and caches are equally warm for every system; nothing of the warm-up is counted. Import runs warm");
            md.AppendLine("up with a small import of their own (and, for Dispatch, a crowd that completes it). The long-polling and cold-start");
            md.AppendLine("runs have none.");
        }
        else
        {
            md.AppendLine("The runs had no warm-up: each was measured from the server's first request on.");
        }

        md.AppendLine();
        md.AppendLine("## Machine and run");
        md.AppendLine();
        foreach (var (name, value) in options.Meta)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {name}: {value}");
        }

        md.AppendLine();
        md.AppendLine("## Targets of the issue");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Taken at {options.TargetWorkers} workers.");
        md.AppendLine();
        md.AppendLine("| target | measured | goal | met |");
        md.AppendLine("|---|---|---|---|");
        var w = options.TargetWorkers;
        Target(md, "memory: requests/s vs ceiling (overlap 1)", Ratio(Cycle(runs, "dispatch-memory", w, 1), Cycle(runs, "ceiling", w, 1), "requestsPerSec"), ">= 0.60", r => r >= 0.60);
        Target(md, "memory: claim p99 vs ceiling (overlap 1)", Ratio(P99(Cycle(runs, "dispatch-memory", w, 1)), P99(Cycle(runs, "ceiling", w, 1))), "<= 2.0", r => r <= 2.0);
        Target(md, "postgres: cycles/s vs peer (overlap 1)", Ratio(Cycle(runs, "dispatch-postgres", w, 1), Cycle(runs, "peer", w, 1), "cyclesPerSec"), ">= 3.0", r => r >= 3.0);
        Target(md, "postgres: cycles/s vs peer (overlap 3)", Ratio(Cycle(runs, "dispatch-postgres", w, 3), Cycle(runs, "peer", w, 3), "cyclesPerSec"), ">= 3.0", r => r >= 3.0);
        Target(md, "postgres: import tasks/s vs peer", Ratio(Import(runs, "dispatch-postgres"), Import(runs, "peer"), "importTasksPerSec"), ">= 1.0", r => r >= 1.0);
        Target(md, "memory: import tasks/s", Import(runs, "dispatch-memory")?["importTasksPerSec"]?.GetValue<double>(), ">= 100,000", r => r >= 100_000, "N0");

        var queued = Tagged(runs, "growth-queued").OrderBy(r => r["keepQueued"]?.GetValue<double>() ?? 0).ToList();
        var fewQueued = queued.FirstOrDefault();
        var manyQueued = queued.Count > 1 ? queued[^1] : null;
        Target(md, $"growth: claim p99, {Count(manyQueued?["keepQueued"], "1,000,000")} vs {Count(fewQueued?["keepQueued"], "10,000")} tasks queued",
            Ratio(P99(manyQueued), P99(fewQueued)), "<= 1.5", r => r <= 1.5);
        var projects = Tagged(runs, "growth-projects").OrderBy(r => r["projects"]!.GetValue<int>()).ToList();
        var oneProject = projects.FirstOrDefault(r => r["projects"]!.GetValue<int>() == 1);
        var manyProjects = projects.LastOrDefault(r => r["projects"]!.GetValue<int>() > 1);
        Target(md, $"growth: claim p99, {Count(manyProjects?["projects"], "1,000")} open projects vs 1",
            Ratio(P99(manyProjects), P99(oneProject)), "<= 1.5", r => r <= 1.5);
        foreach (var (system, label) in new[] { ("dispatch-memory", "memory"), ("dispatch-postgres", "postgres") })
        {
            var import = Import(runs, system);
            Target(md, $"growth ({label}): results export, slowest of {import?["export"]?["pages"]?.ToString() ?? "20"} pages of 1,000 from a {Count(import?["tasks"], "1,000,000")}-task project",
                import?["export"]?["maxMs"]?.GetValue<double>(), "< 50 ms", ms => ms < 50, "0.0' ms'");
        }

        Target(md, $"memory: server working set per imported task, memory mode ({Count(Import(runs, "dispatch-memory")?["tasks"], "1,000,000")} tasks)",
            Import(runs, "dispatch-memory")?["workingSet"]?["bytesPerTask"]?.GetValue<double>(), "<= 1,024 bytes", b => b <= 1024, "N0");
        Target(md, $"memory: server working set per imported task, PostgreSQL mode ({Count(Import(runs, "dispatch-postgres")?["tasks"], "1,000,000")} tasks)",
            Import(runs, "dispatch-postgres")?["workingSet"]?["bytesPerTask"]?.GetValue<double>(), "<= 300 bytes", b => b <= 300, "N0");
        var longPoll = Tagged(runs, "long-poll").LastOrDefault();
        var idle = longPoll?["idle"];
        Target(md, $"long polling: server CPU while {Count(longPoll?["workers"], "10,000")} workers wait{(idle?["clean"]?.GetValue<bool>() == false ? " (window not clean, see below)" : "")}",
            idle?["measured"]?.GetValue<bool>() == true ? idle["serverPercentOfCore"]?.GetValue<double>() : null, "< 5% of one core", p => p < 5, "0.00'%'");
        md.AppendLine();

        var cycleRuns = runs.Where(IsCycleRun)
            .OrderBy(r => Array.IndexOf(Systems, r["system"]!.GetValue<string>()))
            .ThenBy(r => r["overlap"]!.GetValue<int>())
            .ThenBy(r => r["workers"]!.GetValue<int>())
            .ToList();
        if (cycleRuns.Count > 0)
        {
            md.AppendLine("## Claim and submit");
            md.AppendLine();
            md.AppendLine("| system | workers | overlap | tasks | cycles/s | requests/s | claim p50 / p95 / p99 / max ms | submit p50 / p95 / p99 / max ms | server CPU (cores) | simulator CPU (cores) | errors | invariants |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---|---|---|---:|---|---|");
            foreach (var r in cycleRuns)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {r["system"]} | {r["workers"]} | {r["overlap"]} | {Int(r["tasks"])} | {Int(r["cyclesPerSec"])} | {Int(r["requestsPerSec"])} | {Lat(r["claim"])} | {Lat(r["submit"])} | {ServerCpu(r["cpu"])} | {r["cpu"]?["simulator"]?["cores"]} | {Errors(r)} | {Invariants(r)} |");
            }

            md.AppendLine();
            CpuBudget(md, runs, options.TargetWorkers);
        }

        ColdStart(md, runs);
        Profiles(md, runs, options.Profiles);
        var imports = runs.Where(r => r["importOnly"]?.GetValue<bool>() == true).OrderBy(r => Array.IndexOf(Systems, r["system"]!.GetValue<string>())).ToList();
        if (imports.Count > 0)
        {
            md.AppendLine("## Import");
            md.AppendLine();
            md.AppendLine("Tasks imported through `POST /v1/projects/{p}/tasks`, 10,000 per call, one call at a time.");
            md.AppendLine();
            md.AppendLine("| system | tasks | payload bytes | tasks/s | seconds | server CPU (cores) | errors | invariants |");
            md.AppendLine("|---|---:|---:|---:|---:|---|---|---|");
            foreach (var r in imports)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {r["system"]} | {Int(r["tasks"])} | {r["payloadBytes"]} | {Int(r["importTasksPerSec"])} | {r["importSeconds"]} | {ServerCpu(r["importCpu"])} | {Errors(r)} | {Invariants(r)} |");
            }

            md.AppendLine();
        }

        Growth(md, runs);
        ExportAndMemory(md, runs);
        LongPolling(md, runs);
        var charted = cycleRuns.Any(r => r["overlap"]!.GetValue<int>() == 1);
        if (charted)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"![cycles/s and claim p99 per system and worker count]({Path.GetFileName(options.Chart)})");
            md.AppendLine();
        }

        md.AppendLine("Raw results, one JSON line per run, are in the log of the run (`bench/out/results.jsonl`).");

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Out))!);
        File.WriteAllText(options.Out, md.ToString());
        if (charted)
        {
            Chart(runs, options.Chart);
            Console.WriteLine($"Wrote {options.Out} and {options.Chart}.");
        }
        else
        {
            // A chart left from an earlier run would sit beside a report it does not belong to.
            File.Delete(options.Chart);
            Console.WriteLine($"Wrote {options.Out} (no chart: no claim+submit runs at overlap 1).");
        }

        return 0;
    }

    private static void CpuBudget(StringBuilder md, List<JsonObject> runs, int workers)
    {
        md.AppendLine("## CPU budget per cycle");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"What one claim+submit costs in CPU at {workers} workers: each process's CPU time over the run above divided by the");
        md.AppendLine("cycles it completed, in milliseconds. Server is the system's own process, PostgreSQL the database server with all its");
        md.AppendLine("backends, simulator the crowd. The ceiling's server time is what the two HTTP requests alone cost; \"× ceiling\" is");
        md.AppendLine("server + PostgreSQL over that, at the same overlap.");
        md.AppendLine();
        md.AppendLine("| system | overlap | cycles/s | server ms | PostgreSQL ms | server + PostgreSQL ms | × ceiling | simulator ms |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var system in Systems.Where(s => runs.Any(r => IsCycleRun(r) && r["system"]!.GetValue<string>() == s)))
        {
            foreach (var overlap in new[] { 1, 3 })
            {
                if (Cycle(runs, system, workers, overlap) is not { } run)
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"| {system} | {overlap} | not measured | - | - | - | - | - |");
                    continue;
                }

                var server = MsPerCycle(run, "server");
                var postgres = MsPerCycle(run, "postgres");
                var both = server + (postgres ?? 0);
                var ceiling = Cycle(runs, "ceiling", workers, overlap) is { } c ? MsPerCycle(c, "server") : null;
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {system} | {overlap} | {Int(run["cyclesPerSec"])} | {Ms(server)} | {Ms(postgres)} | {Ms(both)} | {(Ratio(both, ceiling) is { } x ? x.ToString("F1", Inv) : "-")} | {Ms(MsPerCycle(run, "simulator"))} |");
            }
        }

        md.AppendLine();
    }

    // CPU seconds over cycles rather than cores over cycles/s: both spread the run's CPU over its cycles, but cores are
    // rounded to two decimals, which is several percent of the simulator's tenth of a core.
    private static double? MsPerCycle(JsonObject run, string process) =>
        run["cpu"]?[process]?["seconds"]?.GetValue<double>() is { } seconds && run["cycles"]?.GetValue<double>() is double cycles and > 0
            ? seconds * 1000 / cycles
            : null;

    private static string Ms(double? ms) => ms is { } v ? v.ToString("F3", Inv) : "-";

    private static void Profiles(StringBuilder md, List<JsonObject> runs, List<(string System, string Path)> profiles)
    {
        if (profiles.Count == 0)
        {
            return;
        }

        md.AppendLine("## Where a cycle's time goes");
        md.AppendLine();
        md.AppendLine("Each Dispatch mode ran once more at overlap 1, in a run of its own that the tables above do not count, while");
        md.AppendLine("`dotnet-trace collect-linux --profile cpu-sampling` sampled the CPU of its server process (not PostgreSQL's) through");
        md.AppendLine("the kernel's perf events, from shortly after that run's measured phase began. The share is the part of the samples");
        md.AppendLine("with the frame anywhere on the stack (inclusive), so a caller holds at least the share of what it calls, and one");
        md.AppendLine("path often shows as several frames of about the same share. Left out are frames on the stack of all work, whatever");
        md.AppendLine("it is: the thread start, the runtime's thread pool, task and async dispatch, and frames without symbols (`module!?`).");
        md.AppendLine("Exclusive shares are not listed: every stack of such a trace ends in the sampler's own event, which");
        md.AppendLine("`dotnet-trace report` then counts as the only exclusive frame. The whole list is in `bench/out/profile-<system>.txt`,");
        md.AppendLine("the trace in `bench/out/profile-<system>.nettrace`.");
        foreach (var (system, path) in profiles)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"### {system}");
            md.AppendLine();
            var frames = File.Exists(path) ? TopFrames.Read(path) : [];
            var sampled = Tagged(runs, "profile").LastOrDefault(r => r["system"]!.GetValue<string>() == system);
            if (frames.Count == 0 || sampled is null)
            {
                md.AppendLine("Not measured: the run or its trace failed (see `bench/out/run.log`).");
                continue;
            }

            var workers = sampled["workers"]!.GetValue<int>();
            var unsampled = Cycle(runs, system, workers, 1);
            md.AppendLine(CultureInfo.InvariantCulture,
                $"{workers} workers; the sampled run made {Int(sampled["cyclesPerSec"])} cycles/s{(unsampled is null ? "" : $", the unsampled one above {Int(unsampled["cyclesPerSec"])}")}.");
            md.AppendLine();
            md.AppendLine("| # | frame | share of samples |");
            md.AppendLine("|---:|---|---:|");
            foreach (var (frame, i) in frames.Take(15).Select((f, i) => (f, i + 1)))
            {
                // Double backticks because generic names hold single ones (Task`1); a pipe would end the table cell.
                md.AppendLine(CultureInfo.InvariantCulture, $"| {i} | `` {frame.Name.Replace("|", "\\|", StringComparison.Ordinal)} `` | {frame.InclusivePercent:0.0}% |");
            }
        }

        md.AppendLine();
    }

    private static void ColdStart(StringBuilder md, List<JsonObject> runs)
    {
        var cold = Tagged(runs, "cold-start")
            .GroupBy(r => r["system"]!.GetValue<string>())
            .Select(g => g.Last())
            .OrderBy(r => Array.IndexOf(Systems, r["system"]!.GetValue<string>()))
            .ToList();
        if (cold.Count == 0)
        {
            return;
        }

        md.AppendLine("## Cold start");
        md.AppendLine();
        md.AppendLine("How a freshly started Dispatch server keeps up in its first seconds, next to a warm one. The cold run is one more");
        md.AppendLine("run per mode at overlap 1 with no warm-up, on a fresh server that had only created the workers and the project and");
        md.AppendLine("taken the import before the crowd started claiming; it is sized to last at least about 15 s at the system's warm rate");
        md.AppendLine("(less with `--quick`), and the tables above do not count it. \"First 10 s\" is the rate of the claim+submit cycles");
        md.AppendLine("accepted in the first 10 s after the crowd started claiming (for a run shorter than that, its rate over the whole");
        md.AppendLine("run, with its length); for the warm run, the first 10 s after its warm-up. The ratio is the cold run's first 10 s");
        md.AppendLine("over the warm run's whole rate, at the same worker count and overlap.");
        md.AppendLine();
        md.AppendLine("| system | workers | cold: first 10 s, cycles/s | cold: whole run, cycles/s | warm: first 10 s, cycles/s | warm: whole run, cycles/s | cold first 10 s / warm | cold run: errors | cold run: invariants |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var r in cold)
        {
            var workers = r["workers"]!.GetValue<int>();
            var warm = Cycle(runs, r["system"]!.GetValue<string>(), workers, 1);
            var ratio = Ratio(r["firstTenSecondsCyclesPerSec"]?.GetValue<double>(), warm?["cyclesPerSec"]?.GetValue<double>());
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r["system"]} | {workers} | {FirstWindow(r)} | {Int(r["cyclesPerSec"])} | {(warm is null ? "not measured" : FirstWindow(warm))} | {(warm is null ? "not measured" : Int(warm["cyclesPerSec"]))} | {(ratio is { } x ? x.ToString("F2", Inv) : "-")} | {Errors(r)} | {Invariants(r)} |");
        }

        md.AppendLine();
    }

    private static string FirstWindow(JsonObject run) =>
        run["firstWindowSeconds"]?.GetValue<double>() is not { } seconds ? "-"
        : seconds < 10 ? $"{Int(run["firstTenSecondsCyclesPerSec"])} (whole run: {seconds.ToString("0.0", Inv)} s)"
        : Int(run["firstTenSecondsCyclesPerSec"]);

    private static void Growth(StringBuilder md, List<JsonObject> runs)
    {
        var growth = Tagged(runs, "growth-queued").Concat(Tagged(runs, "growth-projects")).ToList();
        if (growth.Count == 0)
        {
            return;
        }

        md.AppendLine("## Growth");
        md.AppendLine();
        md.AppendLine("Does a claim get slower as the work around it grows? Dispatch on memory, claims routed (no `projectId`), overlap 1;");
        md.AppendLine("the two runs of each pair have the same crowd and take the same number of cycles, so only the size differs.");
        md.AppendLine("**Queued**: the project starts with N tasks and, while the crowd runs, the simulator imports 1,000 more each time");
        md.AppendLine("that many were completed (the same batch in both runs), so about N stay queued; the crowd stops after the given cycles, so the invariants check");
        md.AppendLine("counts and accepted submits only. **Projects**: the same tasks spread evenly over that many open projects, drained.");
        md.AppendLine();
        md.AppendLine("| run | workers | cycles | cycles/s | claim p50 / p95 / p99 / max ms | submit p50 / p95 / p99 / max ms | server CPU (cores) | errors | invariants |");
        md.AppendLine("|---|---:|---:|---:|---|---|---|---|---|");
        foreach (var r in growth)
        {
            var run = r["keepQueued"] is { } n ? $"about {Int(n)} queued" : $"{Int(r["projects"])} project(s)";
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {run} | {r["workers"]} | {Int(r["cycles"])} | {Int(r["cyclesPerSec"])} | {Lat(r["claim"])} | {Lat(r["submit"])} | {ServerCpu(r["cpu"])} | {Errors(r)} | {Invariants(r)} |");
        }

        md.AppendLine();
    }

    private static void ExportAndMemory(StringBuilder md, List<JsonObject> runs)
    {
        var imports = runs.Where(r => r["importOnly"]?.GetValue<bool>() == true && r["workingSet"] is not null)
            .OrderBy(r => Array.IndexOf(Systems, r["system"]!.GetValue<string>())).ToList();
        if (imports.Count == 0)
        {
            return;
        }

        md.AppendLine("## Memory per task and results export");
        md.AppendLine();
        md.AppendLine("In each import run above, the simulator read the server process's resident memory (`VmRSS`) just before the import and");
        md.AppendLine(CultureInfo.InvariantCulture, $"{imports[0]["workingSet"]!["settleSeconds"]} s after it ended; the growth divided by the tasks imported is the memory per task (for dispatch-postgres and");
        md.AppendLine("the peer, the memory of that process alone, not PostgreSQL's). Then, for Dispatch, a crowd completed some of the");
        md.AppendLine("imported tasks, and consecutive pages of `GET /v1/projects/{id}/results?limit=1000` (admin key, each following the");
        md.AppendLine("previous `next`) were timed as the client sees them, up to the last byte of the body.");
        md.AppendLine();
        md.AppendLine("| system | tasks | resident before (MiB) | resident after (MiB) | bytes per task | tasks then completed | export pages | items per page | page p50 ms | page max ms |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in imports)
        {
            var ws = r["workingSet"]!;
            var export = r["export"];
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r["system"]} | {Int(r["tasks"])} | {Mib(ws["beforeBytes"])} | {Mib(ws["afterBytes"])} | {Int(ws["bytesPerTask"])} | {Int(r["cycles"])} | {export?["pages"]?.ToString() ?? "-"} | {Int(export?["itemsPerPage"])} | {export?["p50Ms"]?.ToString() ?? "-"} | {export?["maxMs"]?.ToString() ?? "-"} |");
        }

        md.AppendLine();
    }

    private static void LongPolling(StringBuilder md, List<JsonObject> runs)
    {
        if (Tagged(runs, "long-poll").LastOrDefault() is not { } r)
        {
            return;
        }

        var idle = r["idle"];
        md.AppendLine("## Long polling");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Dispatch on memory, {Int(r["workers"])} workers and one task, each claim with `waitSeconds: {r["waitSeconds"]}`, no warm-up. Once the task was");
        md.AppendLine("done and every worker had a claim in flight (plus 5 s for the server to take the last ones in and settle after the burst), the server's CPU was");
        md.AppendLine("read over an idle window; a claim answered inside the window would mean it was not idle, and the window is then");
        md.AppendLine("marked not clean.");
        md.AppendLine();
        md.AppendLine("| workers waiting | wait s | all waiting after s | window s | claims answered in window | server CPU (% of one core) | clean |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---|");
        md.AppendLine(idle?["measured"]?.GetValue<bool>() == true
            ? $"| {Int(idle["waitingWorkers"])} | {r["waitSeconds"]} | {idle["allWaitingAfterSeconds"]} | {idle["windowSeconds"]} | {idle["claimsAnsweredInWindow"]} | {idle["serverPercentOfCore"]} | {(idle["clean"]!.GetValue<bool>() ? "yes" : "**no**")} |"
            : $"| {Int(r["workers"])} | {r["waitSeconds"]} | - | - | - | not measured: the crowd ended first | - |");
        md.AppendLine();
    }

    private static string Mib(JsonNode? bytes) => bytes is null ? "-" : (bytes.GetValue<double>() / 1048576).ToString("N1", Inv);

    private static JsonObject? Cycle(List<JsonObject> runs, string system, int workers, int overlap) =>
        runs.LastOrDefault(r => IsCycleRun(r) && r["system"]!.GetValue<string>() == system &&
                                r["workers"]!.GetValue<int>() == workers && r["overlap"]!.GetValue<int>() == overlap);

    /// <summary>A run of the main claim+submit tables: a crowd that was measured, neither an import nor a tagged run.</summary>
    private static bool IsCycleRun(JsonObject run) =>
        run["importOnly"]?.GetValue<bool>() != true && Untagged(run) && run["cyclesPerSec"] is not null;

    private static JsonObject? Import(List<JsonObject> runs, string system) =>
        runs.LastOrDefault(r => r["system"]!.GetValue<string>() == system && r["importOnly"]?.GetValue<bool>() == true && r["importTasksPerSec"] is not null);

    private static bool Untagged(JsonObject run) => run["tag"] is null;

    private static IEnumerable<JsonObject> Tagged(List<JsonObject> runs, string tag) =>
        runs.Where(r => r["tag"]?.GetValue<string>() == tag && r["cyclesPerSec"] is not null);

    private static string Count(JsonNode? n, string otherwise) => n is null ? otherwise : n.GetValue<double>().ToString("N0", Inv);

    private static double? P99(JsonObject? run) => run?["claim"]?["p99Ms"]?.GetValue<double>();

    private static double? Ratio(JsonObject? a, JsonObject? b, string field) =>
        Ratio(a?[field]?.GetValue<double>(), b?[field]?.GetValue<double>());

    private static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;

    private static void Target(StringBuilder md, string name, double? value, string goal, Func<double, bool> met, string format = "F2") =>
        md.AppendLine(CultureInfo.InvariantCulture,
            $"| {name} | {(value is { } v ? v.ToString(format, Inv) : "not measured")} | {goal} | {(value is { } x ? (met(x) ? "yes" : "**no**") : "-")} |");

    private static string Int(JsonNode? n) => n is null ? "-" : n.GetValue<double>().ToString("N0", Inv);

    private static string Lat(JsonNode? h) => h?["p50Ms"] is null ? "-" : $"{h["p50Ms"]} / {h["p95Ms"]} / {h["p99Ms"]} / {h["maxMs"]}";

    private static string ServerCpu(JsonNode? cpu) => cpu is JsonObject o
        ? string.Join(", ", o.Where(p => p.Key != "simulator").Select(p => $"{p.Key} {p.Value!["cores"]}")) is { Length: > 0 } s ? s : "-"
        : "-";

    private static string Errors(JsonObject r) => r["errors"] is JsonObject e && e.Count > 0
        ? string.Join("; ", e.Select(p => $"{p.Key}: {p.Value}"))
        : "0";

    private static string Invariants(JsonObject r) => r["invariants"] is JsonObject i
        ? i["ok"]!.GetValue<bool>() ? "ok" : "**failed**: " + string.Join("; ", i["failures"]!.AsArray().Take(3).Select(f => f!.GetValue<string>()))
        : "-";

    private static void Chart(List<JsonObject> runs, string path)
    {
        var cycleRuns = runs.Where(r => IsCycleRun(r) && r["overlap"]!.GetValue<int>() == 1).ToList();
        var workerCounts = cycleRuns.Select(r => r["workers"]!.GetValue<int>()).Distinct().Order().ToArray();
        var positions = workerCounts.Select((_, i) => (double)i).ToArray();
        var labels = workerCounts.Select(c => c.ToString(Inv)).ToArray();

        var multiplot = new ScottPlot.Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var throughput = multiplot.GetPlot(0);
        var latency = multiplot.GetPlot(1);
        foreach (var system in Systems)
        {
            var points = workerCounts
                .Select((c, i) => (X: positions[i], Run: cycleRuns.LastOrDefault(r => r["system"]!.GetValue<string>() == system && r["workers"]!.GetValue<int>() == c)))
                .Where(p => p.Run is not null)
                .ToArray();
            if (points.Length == 0)
            {
                continue;
            }

            var xs = points.Select(p => p.X).ToArray();
            var t = throughput.Add.Scatter(xs, [.. points.Select(p => p.Run!["cyclesPerSec"]!.GetValue<double>())]);
            t.LegendText = system;
            t.MarkerSize = 8;
            var l = latency.Add.Scatter(xs, [.. points.Select(p => p.Run!["claim"]?["p99Ms"]?.GetValue<double>() ?? 0)]);
            l.LegendText = system;
            l.MarkerSize = 8;
        }

        foreach (var (plot, title, y) in new[] { (throughput, "Claim+submit cycles/s (overlap 1)", "cycles/s"), (latency, "Claim latency p99 (overlap 1)", "ms") })
        {
            plot.Title(title);
            plot.XLabel("workers");
            plot.YLabel(y);
            plot.Axes.Bottom.SetTicks(positions, labels);
            plot.ShowLegend(ScottPlot.Alignment.UpperRight);
            // Not fitted to the data: a single point (one worker count) would get an axis a unit or two tall, and the
            // highest point at the right edge could hide under the legend.
            plot.Axes.AutoScale();
            plot.Axes.SetLimitsX(-0.5, positions.Length - 0.5);
            plot.Axes.SetLimitsY(0, plot.Axes.GetDataLimits().Top * 1.3);
        }

        multiplot.SavePng(path, 1400, 560);
    }
}
