using System.Text.Json;
using Dispatch.Common;

namespace Dispatch.Api;

/// <summary>Collects field errors of one request, so a caller learns every problem at once.</summary>
public sealed class Validator
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public IDictionary<string, string[]> Errors => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
    }

    /// <summary>The grains' own rule errors; a field already named by a shape error keeps only that one.</summary>
    public void AddAll(IEnumerable<FieldError> errors)
    {
        foreach (var error in errors.Where(e => !_errors.ContainsKey(e.Field)))
        {
            Add(error.Field, error.Message);
        }
    }

    public void Id(string field, string? value, bool required = true)
    {
        if (value is null)
        {
            if (required)
            {
                Add(field, "Required.");
            }
        }
        else if (!Identifiers.IsValid(value))
        {
            Add(field, $"Must match {Identifiers.Pattern}.");
        }
    }

    public void Range(string field, long? value, long min, long max)
    {
        if (value is { } v && (v < min || v > max))
        {
            Add(field, $"Must be between {min} and {max}.");
        }
    }

    public void Range(string field, double? value, double min, double max)
    {
        if (value is { } v && (double.IsNaN(v) || v < min || v > max))
        {
            Add(field, $"Must be between {min} and {max}.");
        }
    }

    public void MaxLength(string field, string? value, int maxBytes)
    {
        if (value is not null && System.Text.Encoding.UTF8.GetByteCount(value) > maxBytes)
        {
            Add(field, $"Must be at most {maxBytes} bytes.");
        }
    }

    /// <summary>
    /// Refuses a JSON value holding the NUL character (<c>\u0000</c>) in any string or key: PostgreSQL stores no NUL
    /// in text or JSON, so the value could never be stored there; memory mode refuses it too, so both answer alike.
    /// </summary>
    /// <param name="rawText">The value's JSON text as sent (<see cref="JsonElement.GetRawText"/>), which callers hold already.</param>
    public void WithoutNul(string field, JsonElement? value, string? rawText)
    {
        // NUL can only be written as the escape \u0000; values without that text need no walk.
        if (value is { } json && rawText is not null && rawText.Contains("\\u0000", StringComparison.Ordinal) && HoldsNul(json))
        {
            Add(field, "Must not contain the NUL character (\\u0000) in any string or key.");
        }
    }

    public void Required(string field, object? value)
    {
        if (value is null)
        {
            Add(field, "Required.");
        }
    }

    private static bool HoldsNul(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.String => json.GetString()!.Contains('\0', StringComparison.Ordinal),
        JsonValueKind.Array => json.EnumerateArray().Any(HoldsNul),
        JsonValueKind.Object => json.EnumerateObject().Any(p => p.Name.Contains('\0', StringComparison.Ordinal) || HoldsNul(p.Value)),
        _ => false,
    };
}
