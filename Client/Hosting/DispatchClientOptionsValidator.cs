using Microsoft.Extensions.Options;

namespace Dispatch.Client;

/// <summary>A bad setting fails when the client is first made, with a sentence, not at its first call.</summary>
internal sealed class DispatchClientOptionsValidator : IValidateOptions<DispatchClientOptions>
{
    public ValidateOptionsResult Validate(string? name, DispatchClientOptions options)
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
