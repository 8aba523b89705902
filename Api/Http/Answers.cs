using Dispatch.Common;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dispatch.Api;

/// <summary>Maps a grain's <see cref="Result{T}"/> to one HTTP answer: the value's answer, or the refusal's problem.</summary>
public static class Answers
{
    public static Results<TSuccess, ProblemHttpResult> From<T, TSuccess>(Result<T> result, Func<T, TSuccess> onSuccess)
        where TSuccess : IResult
    {
        if (result.IsSuccess)
        {
            return onSuccess(result.Value!);
        }

        return Problems.Of(result.Error, result.Detail ?? "");
    }
}
