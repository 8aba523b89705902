using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Dispatch.KiotaWalkthrough;

/// <summary>
/// Sends Dispatch's bearer secret (admin key, requester key or worker token) with every request. Kiota's own bearer
/// provider accepts only https hosts; the walk-through talks to a local http host.
/// </summary>
internal sealed class BearerSecret(string secret) : IAuthenticationProvider
{
    public Task AuthenticateRequestAsync(RequestInformation request, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default)
    {
        request.Headers.Add("Authorization", $"Bearer {secret}");
        return Task.CompletedTask;
    }
}
