using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dispatch.Grains.Aggregation;

/// <summary>
/// The answer of a submission, as aggregation compares it: its result, or one field of it, as JSON with key order,
/// whitespace and number spelling ignored (<c>{"a":1.0,"b":2}</c> and <c>{ "b": 2, "a": 1 }</c> are one answer).
/// </summary>
public static class Answers
{
    /// <summary>
    /// The answer's JSON text (as the worker wrote it) and its canonical key. A result that is not an object, or lacks
    /// <paramref name="field"/>, answers <c>null</c> for that field.
    /// </summary>
    public static (string Json, string Key) Of(string resultJson, string? field)
    {
        using var document = JsonDocument.Parse(resultJson);
        var answer = document.RootElement;
        if (field is not null)
        {
            if (answer.ValueKind != JsonValueKind.Object || !answer.TryGetProperty(field, out answer))
            {
                return ("null", "null");
            }
        }

        return (answer.GetRawText(), KeyOf(answer));
    }

    /// <summary>A canonical form: object members sorted by name (ordinal), numbers written in one way.</summary>
    public static string KeyOf(JsonElement element)
    {
        var key = new StringBuilder();
        Append(key, element);
        return key.ToString();
    }

    private static void Append(StringBuilder key, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                key.Append('{');
                var first = true;
                foreach (var member in element.EnumerateObject().OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    key.Append(first ? "" : ",").Append(JsonSerializer.Serialize(member.Name)).Append(':');
                    Append(key, member.Value);
                    first = false;
                }

                key.Append('}');
                break;
            case JsonValueKind.Array:
                key.Append('[');
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    key.Append(index++ == 0 ? "" : ",");
                    Append(key, item);
                }

                key.Append(']');
                break;
            case JsonValueKind.String:
                key.Append(JsonSerializer.Serialize(element.GetString()));
                break;
            case JsonValueKind.Number:
                // 1, 1.0 and 1e0 are one number; one too large for decimal keeps its own spelling.
                key.Append(element.TryGetDecimal(out var number) ? (number / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture) : element.GetRawText());
                break;
            default:
                key.Append(element.GetRawText());
                break;
        }
    }
}
