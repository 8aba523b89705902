namespace Dispatch.Common;

/// <summary>One wrong field of a command, named as the HTTP contract names it (<c>review.autoAcceptSeconds</c>).</summary>
public readonly record struct FieldError(string Field, string Message)
{
    /// <summary>A refusal for callers of a grain, which answer one problem rather than a list.</summary>
    public static Result<T> Refuse<T>(IReadOnlyList<FieldError> errors) =>
        Result<T>.Fail(ErrorKind.Validation, string.Join(" ", errors.Select(e => $"{e.Field}: {e.Message}")));
}
