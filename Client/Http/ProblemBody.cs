namespace Dispatch.Client;

/// <summary>An RFC 9457 problem+json body as the API writes it.</summary>
internal sealed record ProblemBody(string? Type, string? Title, int? Status, string? Detail, Dictionary<string, string[]>? Errors);
