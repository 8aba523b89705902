using System.Globalization;
using System.Text.RegularExpressions;

namespace Dispatch.Tests.Operations;

/// <summary>Reads samples out of a Prometheus text exposition, enough for tests to ask for one series.</summary>
public sealed partial class PrometheusText(string text)
{
    public string Text { get; } = text;

    /// <summary>The value of the sample named <paramref name="name"/> whose labels include every given pair; null when none.</summary>
    public double? Value(string name, params (string Label, string Value)[] labels)
    {
        foreach (Match sample in Sample().Matches(Text))
        {
            if (sample.Groups["name"].Value != name)
            {
                continue;
            }

            var present = sample.Groups["labels"].Value;
            if (labels.All(l => present.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                return double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>Whether any sample's name starts with <paramref name="prefix"/>.</summary>
    public bool HasSeriesStartingWith(string prefix) =>
        Sample().Matches(Text).Any(s => s.Groups["name"].Value.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Label values of <paramref name="label"/> over the samples named <paramref name="name"/>.</summary>
    public IReadOnlySet<string> LabelValues(string name, string label) =>
        Sample().Matches(Text)
            .Where(s => s.Groups["name"].Value == name)
            .Select(s => Regex.Match(s.Groups["labels"].Value, $"{label}=\"([^\"]*)\""))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToHashSet(StringComparer.Ordinal);

    // Label values are quoted and may hold braces (http_route="/v1/workers/{workerId}/leases/").
    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>(?:[^""}]|""(?:[^""\\]|\\.)*"")*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
