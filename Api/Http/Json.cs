using System.Text.Json;

namespace Dispatch.Api;

internal static class Json
{
    /// <summary>Stored JSON text as a value the response serializer writes verbatim.</summary>
    public static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
