using System.Text.Json.Nodes;

namespace Dispatch.Bench;

/// <summary>The human-readable summary of one simulator run.</summary>
public static class Summary
{
    public static void Print(JsonObject r, TextWriter o)
    {
        o.WriteLine();
        o.WriteLine($"== {r["system"]}: {r["workers"]} workers, {r["tasks"]:N0} tasks in {r["projects"]} project(s), overlap {r["overlap"]}, wait {r["waitSeconds"]} s");
        if (r["importTasksPerSec"] is { } import)
        {
            o.WriteLine($"   import      {Num(import),12} tasks/s   ({r["importSeconds"]} s)   cpu {Cpu(r["importCpu"])}");
        }

        if (r["cyclesPerSec"] is { } cps)
        {
            o.WriteLine($"   cycles      {Num(cps),12} /s        ({r["cycles"]} claim+submit in {r["cycleSeconds"]} s; {Num(r["requestsPerSec"])} requests/s)");
            o.WriteLine($"   claim  ms   {Latency(r["claim"])}");
            o.WriteLine($"   submit ms   {Latency(r["submit"])}");
            o.WriteLine($"   cpu         {Cpu(r["cpu"])}   (wall {r["wallSeconds"]} s)");
            o.WriteLine($"   204 no work {r["noWork204"]}");
        }

        var errors = r["errors"] as JsonObject;
        o.WriteLine($"   errors      {(errors is null || errors.Count == 0 ? "none" : string.Join(", ", errors.Select(e => $"{e.Key}: {e.Value}")))}");
        if (r["invariants"] is JsonObject inv)
        {
            o.WriteLine($"   invariants  {(inv["ok"]!.GetValue<bool>() ? "OK" : "FAILED")} ({inv["resultsExported"]} results exported)");
            foreach (var failure in inv["failures"]!.AsArray())
            {
                o.WriteLine($"     - {failure}");
            }
        }

        o.WriteLine();
    }

    private static string Num(JsonNode? n) => n is null ? "-" : n.GetValue<double>().ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    private static string Latency(JsonNode? h) => h is null || h["p50Ms"] is null
        ? "-"
        : $"p50 {h["p50Ms"]}  p95 {h["p95Ms"]}  p99 {h["p99Ms"]}  max {h["maxMs"]}  (n={h["count"]})";

    private static string Cpu(JsonNode? cpu) => cpu is JsonObject o
        ? string.Join("  ", o.Select(p => $"{p.Key} {p.Value!["seconds"]} s ({p.Value["cores"]} cores)"))
        : "-";
}
