using System.Text.Json;

namespace Dispatch.Client;

/// <summary>
/// Does the work of one lease and returns the result to submit. <paramref name="cancellationToken"/> is cancelled
/// when the loop stops (the lease is then released) or the lease is lost (expired or ended by the server). Throwing
/// releases the lease with the exception's message as the reason, and the loop goes on.
/// </summary>
public delegate ValueTask<JsonElement> LeaseHandler(Lease lease, CancellationToken cancellationToken);
