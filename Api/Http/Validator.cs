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

    /// <summary>Free text: at most <paramref name="maxBytes"/> of UTF-8, and no NUL (see <see cref="WithoutNul(string, string?)"/>).</summary>
    public void Text(string field, string? value, int maxBytes)
    {
        if (value is not null && System.Text.Encoding.UTF8.GetByteCount(value) > maxBytes)
        {
            Add(field, $"Must be at most {maxBytes} bytes.");
        }

        WithoutNul(field, value);
    }

    /// <summary>
    /// Refuses free text holding the NUL character: PostgreSQL stores none in text, so a bonus reason with one could
    /// never be stored there; every free text refuses it, on both backends, so that both answer alike.
    /// </summary>
    public void WithoutNul(string field, string? value)
    {
        if (value is not null && value.Contains('\0', StringComparison.Ordinal))
        {
            Add(field, "Must not contain the NUL character (\\u0000).");
        }
    }

    /// <summary>
    /// Refuses a JSON value that holds, in any string or key, the NUL character (<c>\u0000</c>) or an escaped lone
    /// surrogate (<c>\ud800</c> without its pair): PostgreSQL stores no NUL in text or JSON, its jsonb refuses a lone
    /// surrogate, and .NET cannot read one as a string (comparing golden answers, aggregating results). Memory mode
    /// refuses them too, so both answer alike.
    /// </summary>
    /// <param name="rawText">The value's JSON text as sent (<see cref="JsonElement.GetRawText"/>), which callers hold already.</param>
    public void StorableJson(string field, JsonElement? value, string? rawText)
    {
        // Both can only be written as escapes (raw bytes of either are invalid UTF-8, refused by the reader), and
        // every surrogate escape starts \uD or \ud; values without that text need no walk.
        if (value is { } json && rawText is not null && MayHoldUnstorable(rawText) && HoldsUnstorable(json))
        {
            Add(field, "Must not contain the NUL character (\\u0000) or an unpaired surrogate (\\ud800-\\udfff) in any string or key.");
        }
    }

    public void Required(string field, object? value)
    {
        if (value is null)
        {
            Add(field, "Required.");
        }
    }

    private static bool MayHoldUnstorable(string rawText) =>
        rawText.Contains("\\u0000", StringComparison.Ordinal) || rawText.Contains("\\ud", StringComparison.OrdinalIgnoreCase);

    private static bool HoldsUnstorable(JsonElement json)
    {
        try
        {
            return json.ValueKind switch
            {
                JsonValueKind.String => json.GetString()!.Contains('\0', StringComparison.Ordinal),
                JsonValueKind.Array => json.EnumerateArray().Any(HoldsUnstorable),
                JsonValueKind.Object => json.EnumerateObject().Any(p => p.Name.Contains('\0', StringComparison.Ordinal) || HoldsUnstorable(p.Value)),
                _ => false,
            };
        }
        catch (InvalidOperationException)
        {
            // Reading a string (or a key) with a lone surrogate throws: that is what is looked for.
            return true;
        }
    }
}
