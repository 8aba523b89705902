using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Xunit.Sdk;

namespace Dispatch.Tests.Infrastructure;

/// <summary>Assertions on <see cref="ApiResponse"/> that quote the whole answer when they fail.</summary>
public static class ApiAssert
{
    /// <summary>Asserts the status and returns the JSON body.</summary>
    public static JsonNode Is(this ApiResponse response, HttpStatusCode expected)
    {
        if (response.Status != expected)
        {
            throw new XunitException($"Expected {(int)expected} {expected}, got: {response}");
        }

        return response.Json;
    }

    /// <summary>Asserts the status and that the body is empty (or whitespace).</summary>
    public static void IsEmpty(this ApiResponse response, HttpStatusCode expected)
    {
        if (response.Status != expected)
        {
            throw new XunitException($"Expected {(int)expected} {expected}, got: {response}");
        }

        Assert.True(string.IsNullOrWhiteSpace(response.Text), $"Expected no body: {response}");
    }

    /// <summary>
    /// Asserts an RFC 9457 problem answer: status <paramref name="status"/>, content type
    /// <c>application/problem+json</c>, members <c>type</c>, <c>title</c>, <c>status</c> and <c>detail</c>, and a
    /// <c>type</c> equal to the short name <paramref name="type"/> (or a URI ending in <c>/type</c>).
    /// </summary>
    public static JsonObject IsProblem(this ApiResponse response, HttpStatusCode status, string type)
    {
        if (response.Status != status)
        {
            throw new XunitException($"Expected {(int)status} {type}, got: {response}");
        }

        if (!string.Equals(response.MediaType, "application/problem+json", StringComparison.OrdinalIgnoreCase))
        {
            throw new XunitException($"Expected content type application/problem+json, got: {response}");
        }

        if (response.Json is not JsonObject problem)
        {
            throw new XunitException($"Expected a problem object: {response}");
        }

        foreach (var member in new[] { "type", "title", "status", "detail" })
        {
            if (problem[member] is null)
            {
                throw new XunitException($"Problem has no '{member}': {response}");
            }
        }

        var actualType = problem["type"]!.GetValue<string>();
        if (actualType != type && !actualType.EndsWith("/" + type, StringComparison.Ordinal))
        {
            throw new XunitException($"Expected problem type '{type}', got '{actualType}': {response}");
        }

        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["title"]!.GetValue<string>()), $"Empty title: {response}");
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]!.GetValue<string>()), $"Empty detail: {response}");
        return problem;
    }

    /// <summary>Asserts a <c>400 validation</c> problem whose <c>errors</c> name <paramref name="field"/>.</summary>
    public static JsonObject IsValidationProblem(this ApiResponse response, string? field = null)
    {
        var problem = response.IsProblem(HttpStatusCode.BadRequest, "validation");
        if (problem["errors"] is not JsonObject errors || errors.Count == 0)
        {
            throw new XunitException($"Validation problem without 'errors': {response}");
        }

        foreach (var (_, messages) in errors)
        {
            if (messages is not JsonArray list || list.Count == 0 || list.Any(m => m?.GetValueKind() != System.Text.Json.JsonValueKind.String))
            {
                throw new XunitException($"'errors' must map each field to a list of messages: {response}");
            }
        }

        if (field is not null && !errors.Any(e => e.Key.Contains(field, StringComparison.OrdinalIgnoreCase)))
        {
            throw new XunitException($"Expected 'errors' to name '{field}': {response}");
        }

        return problem;
    }

    /// <summary>Asserts an ISO 8601 UTC timestamp (<c>Z</c> or <c>+00:00</c>) and returns it.</summary>
    public static DateTimeOffset IsUtcTimestamp(JsonNode? node, string what)
    {
        var text = node?.GetValue<string>() ?? throw new XunitException($"{what} is missing");
        Assert.True(
            text.EndsWith('Z') || text.EndsWith("+00:00", StringComparison.Ordinal),
            $"{what} '{text}' is not an ISO 8601 UTC timestamp");
        return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
    }

    /// <summary>Asserts that <paramref name="secret"/> does not occur in <paramref name="response"/>.</summary>
    public static void DoesNotContainSecret(this ApiResponse response, string secret) =>
        Assert.False(response.Text.Contains(secret, StringComparison.Ordinal), $"Secret leaked in: {response}");
}
