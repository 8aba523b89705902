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
            if (r["firstTenSecondsCyclesPerSec"] is { } first)
            {
                var window = double.Parse(r["firstWindowSeconds"]!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
                o.WriteLine(window < 10
                    ? $"   first 10 s  {Num(first),12} /s        (the run lasted only {r["firstWindowSeconds"]} s: {r["firstWindowCycles"]} cycles over all of it)"
                    : $"   first 10 s  {Num(first),12} /s        ({r["firstWindowCycles"]} cycles in the first 10 s of claiming)");
            }

            o.WriteLine($"   claim  ms   {Latency(r["claim"])}");
            o.WriteLine($"   submit ms   {Latency(r["submit"])}");
            o.WriteLine($"   cpu         {Cpu(r["cpu"])}   (wall {r["wallSeconds"]} s)");
            o.WriteLine($"   204 no work {r["noWork204"]}");
        }

        if (r["keepQueued"] is { } queued)
        {
            o.WriteLine($"   queued      about {Num(queued)} kept queued; {Num(r["tasksImportedWhileRunning"])} imported while running");
        }

        if (r["workingSet"] is JsonObject ws)
        {
            o.WriteLine($"   memory      server resident {Num(ws["beforeBytes"])} -> {Num(ws["afterBytes"])} bytes: {ws["bytesPerTask"]} bytes per task");
        }

        if (r["export"] is JsonObject export)
        {
            o.WriteLine($"   export ms   p50 {export["p50Ms"]}  max {export["maxMs"]}  ({export["pages"]} pages, {export["itemsPerPage"]} items per page)");
        }

        if (r["idle"] is JsonObject idle)
        {
            o.WriteLine(idle["measured"]!.GetValue<bool>()
                ? $"   idle        server {idle["serverPercentOfCore"]}% of one core over {idle["windowSeconds"]} s with {idle["waitingWorkers"]} workers waiting ({(idle["clean"]!.GetValue<bool>() ? "clean" : $"{idle["claimsAnsweredInWindow"]} claims answered inside the window")})"
                : "   idle        not measured: the crowd ended before the window did");
        }

        var errors = r["errors"] as JsonObject;
        o.WriteLine($"   errors      {(errors is null || errors.Count == 0 ? "none" : string.Join(", ", errors.Select(e => $"{e.Key}: {e.Value}")))}");
        if (r["invariants"] is JsonObject inv)
        {
            o.WriteLine($"   invariants  {(inv["ok"]!.GetValue<bool>() ? "OK" : "FAILED")} ({inv["resultsExported"]} results exported; {inv["checked"]})");
            foreach (var failure in inv["failures"]!.AsArray())
            {
                o.WriteLine($"     - {failure}");
            }
        }

        o.WriteLine();
    }

    // Parsed from the text because a node built in this process holds its CLR type (int, long), unlike one read from JSON.
    private static string Num(JsonNode? n) => n is null
        ? "-"
        : double.Parse(n.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    private static string Latency(JsonNode? h) => h is null || h["p50Ms"] is null
        ? "-"
        : $"p50 {h["p50Ms"]}  p95 {h["p95Ms"]}  p99 {h["p99Ms"]}  max {h["maxMs"]}  (n={h["count"]})";

    private static string Cpu(JsonNode? cpu) => cpu is JsonObject o
        ? string.Join("  ", o.Select(p => $"{p.Key} {p.Value!["seconds"]} s ({p.Value["cores"]} cores)"))
        : "-";
}
