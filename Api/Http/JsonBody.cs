using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dispatch.Api;

/// <summary>The outcome of reading a request body: a value, or the problem to answer instead.</summary>
public readonly record struct Body<T>(T? Value, ProblemHttpResult? Problem);

/// <summary>
/// Reads request bodies by hand rather than through parameter binding, so that every malformed, mistyped or
/// oversized body gets the contract's problem answer (a size limit of the whole call is <c>413 too-large</c>).
/// </summary>
public static class JsonBody
{
    /// <summary>Strict web JSON: camelCase, numbers must be numbers, unknown fields ignored.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
        MaxDepth = 64,
    };

    private static ProblemHttpResult BodyRequired() =>
        Problems.Validation("A JSON object body is required.", new Dictionary<string, string[]> { ["body"] = ["Must be a JSON object."] });

    public static async Task<Body<T>> ReadAsync<T>(HttpContext http, int maxBytes, bool allowEmpty = false)
        where T : class
    {
        if (http.Request.ContentLength > maxBytes)
        {
            return new(null, Problems.TooLarge($"The body is larger than {maxBytes} bytes."));
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // Let our own limit decide, so an over-limit body gets the contract's 413 rather than Kestrel's.
            sizeFeature.MaxRequestBodySize = Math.Max(maxBytes + 1L, sizeFeature.MaxRequestBodySize ?? 0);
        }

        var buffer = new ArrayBufferWriter<byte>();
        var stream = http.Request.Body;
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var read = await stream.ReadAsync(memory, http.RequestAborted);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                return new(null, Problems.TooLarge($"The body is larger than {maxBytes} bytes."));
            }
        }

        if (buffer.WrittenCount == 0)
        {
            return allowEmpty ? new(null, null) : new(null, BodyRequired());
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer.WrittenSpan, Options);
            return value is null ? new(null, BodyRequired()) : new(value, null);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            return new(null, Problems.Validation("The body is not valid JSON of the expected shape.", new Dictionary<string, string[]> { [field] = [e.Message] }));
        }
    }
}
