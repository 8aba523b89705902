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

    public void Required(string field, object? value)
    {
        if (value is null)
        {
            Add(field, "Required.");
        }
    }
}
