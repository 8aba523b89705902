using System.Text.Json;
using System.Text.Json.Nodes;
using Dispatch.Bench;

// dotnet Dispatch.Bench.dll [run] --url ... (the simulator)  |  dotnet Dispatch.Bench.dll report --results ... (docs)
try
{
    if (args.Length > 0 && args[0] == "report")
    {
        return Report.Write(ReportOptions.Parse(args[1..]));
    }

    var options = SimulatorOptions.Parse(args.Length > 0 && args[0] == "run" ? args[1..] : args);
    var result = await new Simulator(options, Console.Out).RunAsync();
    Summary.Print(result, Console.Out);
    var line = result.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    Console.WriteLine(line);
    if (options.JsonOut is { } path)
    {
        await File.AppendAllTextAsync(path, line + Environment.NewLine);
    }

    return result["invariants"] is JsonObject invariants && !invariants["ok"]!.GetValue<bool>() ? 2 : 0;
}
catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException or HttpRequestException or IOException)
{
    Console.Error.WriteLine($"Dispatch.Bench: {e.Message}");
    return 1;
}
