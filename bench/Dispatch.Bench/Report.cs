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

    /// <summary>Facts about the run (machine, date, command), shown in order.</summary>
    public List<(string Name, string Value)> Meta { get; } = [];

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
                case "--meta":
                    var pair = Value().Split('=', 2);
                    o.Meta.Add((pair[0], pair.Length > 1 ? pair[1] : ""));
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
        md.AppendLine();

        md.AppendLine("## Claim and submit");
        md.AppendLine();
        md.AppendLine("| system | workers | overlap | tasks | cycles/s | requests/s | claim p50 / p95 / p99 / max ms | submit p50 / p95 / p99 / max ms | server CPU (cores) | simulator CPU (cores) | errors | invariants |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---|---|---|---:|---|---|");
        foreach (var r in runs.Where(r => r["importOnly"]?.GetValue<bool>() != true)
                     .OrderBy(r => Array.IndexOf(Systems, r["system"]!.GetValue<string>()))
                     .ThenBy(r => r["overlap"]!.GetValue<int>())
                     .ThenBy(r => r["workers"]!.GetValue<int>()))
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r["system"]} | {r["workers"]} | {r["overlap"]} | {Int(r["tasks"])} | {Int(r["cyclesPerSec"])} | {Int(r["requestsPerSec"])} | {Lat(r["claim"])} | {Lat(r["submit"])} | {ServerCpu(r["cpu"])} | {r["cpu"]?["simulator"]?["cores"]} | {Errors(r)} | {Invariants(r)} |");
        }

        md.AppendLine();
        md.AppendLine("## Import");
        md.AppendLine();
        md.AppendLine("Tasks imported through `POST /v1/projects/{p}/tasks`, 10,000 per call, one call at a time.");
        md.AppendLine();
        md.AppendLine("| system | tasks | payload bytes | tasks/s | seconds | server CPU (cores) | errors | invariants |");
        md.AppendLine("|---|---:|---:|---:|---:|---|---|---|");
        foreach (var r in runs.Where(r => r["importOnly"]?.GetValue<bool>() == true).OrderBy(r => Array.IndexOf(Systems, r["system"]!.GetValue<string>())))
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r["system"]} | {Int(r["tasks"])} | {r["payloadBytes"]} | {Int(r["importTasksPerSec"])} | {r["importSeconds"]} | {ServerCpu(r["importCpu"])} | {Errors(r)} | {Invariants(r)} |");
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![cycles/s and claim p99 per system and worker count]({Path.GetFileName(options.Chart)})");
        md.AppendLine();
        md.AppendLine("Raw results, one JSON line per run, are in the log of the run (`bench/out/results.jsonl`).");

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Out))!);
        File.WriteAllText(options.Out, md.ToString());
        Chart(runs, options.Chart);
        Console.WriteLine($"Wrote {options.Out} and {options.Chart}.");
        return 0;
    }

    private static JsonObject? Cycle(List<JsonObject> runs, string system, int workers, int overlap) =>
        runs.LastOrDefault(r => r["system"]!.GetValue<string>() == system && r["importOnly"]?.GetValue<bool>() != true &&
                                r["workers"]!.GetValue<int>() == workers && r["overlap"]!.GetValue<int>() == overlap && r["cyclesPerSec"] is not null);

    private static JsonObject? Import(List<JsonObject> runs, string system) =>
        runs.LastOrDefault(r => r["system"]!.GetValue<string>() == system && r["importOnly"]?.GetValue<bool>() == true && r["importTasksPerSec"] is not null);

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
        var cycleRuns = runs.Where(r => r["importOnly"]?.GetValue<bool>() != true && r["overlap"]!.GetValue<int>() == 1 && r["cyclesPerSec"] is not null).ToList();
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
            plot.Axes.Margins(bottom: 0);
            plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        }

        multiplot.SavePng(path, 1400, 560);
    }
}
