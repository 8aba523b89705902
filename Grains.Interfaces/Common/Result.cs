namespace Dispatch.Common;

/// <summary>
/// The answer to a grain command: a value, or the expected reason it was refused.
/// Expected refusals are answers, not exceptions; faults still throw.
/// </summary>
[GenerateSerializer, Immutable, Alias("Dispatch.Result`1")]
public sealed record Result<T>(
    [property: Id(0)] T? Value,
    [property: Id(1)] ErrorKind Error,
    [property: Id(2)] string? Detail)
{
    public bool IsSuccess => Error == ErrorKind.None;

    public static Result<T> Ok(T value) => new(value, ErrorKind.None, null);

    public static Result<T> Fail(ErrorKind error, string detail) => new(default, error, detail);

    /// <summary>Carries a refusal over to a result of another type.</summary>
    public Result<TOther> Cast<TOther>() => new(default, Error, Detail);
}
