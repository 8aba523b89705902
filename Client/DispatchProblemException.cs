using System.Net;

namespace Dispatch.Client;

/// <summary>
/// An error answer of the API (RFC 9457 problem details). Branch on <see cref="Type"/> (see <see cref="ProblemTypes"/>):
/// the contract fixes those names, while <see cref="Detail"/> is a sentence for people.
/// </summary>
public sealed class DispatchProblemException : Exception
{
    public DispatchProblemException(HttpStatusCode status, string type, string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors, TimeSpan? retryAfter)
        : base(Describe(status, type, detail, errors))
    {
        Status = status;
        Type = type;
        Title = title;
        Detail = detail;
        Errors = errors ?? new Dictionary<string, string[]>();
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>The problem's short type name (<c>lease-expired</c>, <c>validation</c>, ...).</summary>
    public string Type { get; }

    public string? Title { get; }

    public string? Detail { get; }

    /// <summary>For <c>validation</c>: the messages per field (<c>tasks[3].payload</c>, ...); empty otherwise.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The server's <c>Retry-After</c>, when it sent one (<c>429</c>, <c>503</c>).</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Whether the problem is of <paramref name="type"/> (a short name of <see cref="ProblemTypes"/>).</summary>
    public bool Is(string type) => string.Equals(Type, type, StringComparison.Ordinal);

    private static string Describe(HttpStatusCode status, string type, string? detail, IReadOnlyDictionary<string, string[]>? errors)
    {
        var fields = errors is { Count: > 0 } ? " " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")) : "";
        return $"{(int)status} {type}: {detail}{fields}";
    }
}
