using System.Text.Json;

namespace Dispatch.Grains.Storage;

/// <summary>JSON comparisons shared by import idempotency and golden-answer scoring.</summary>
public static class JsonValues
{
    /// <summary>Equal as JSON values: key order and whitespace ignored.</summary>
    public static bool Equivalent(string leftJson, string rightJson)
    {
        if (string.Equals(leftJson, rightJson, StringComparison.Ordinal))
        {
            return true;
        }

        using var left = JsonDocument.Parse(leftJson);
        using var right = JsonDocument.Parse(rightJson);
        return JsonElement.DeepEquals(left.RootElement, right.RootElement);
    }
}
