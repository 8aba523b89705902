using Dispatch.Common;
using Microsoft.AspNetCore.Http;

namespace Dispatch.Api;

/// <summary>Maps a grain's <see cref="Result{T}"/> to one HTTP answer: the value's answer, or the refusal's problem.</summary>
public static class Answers
{
    public static IResult From<T>(Result<T> result, Func<T, IResult> onSuccess) =>
        result.IsSuccess ? onSuccess(result.Value!) : Problems.Of(result.Error, result.Detail ?? "");
}
