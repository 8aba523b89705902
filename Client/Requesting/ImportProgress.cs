namespace Dispatch.Client;

/// <summary>How far a batched import has come, reported after each batch is stored.</summary>
/// <param name="Sent">Tasks in the batches stored so far.</param>
/// <param name="Created">Of those, tasks the server created.</param>
/// <param name="Existing">Of those, tasks already there with the same payload.</param>
/// <param name="Batches">Batches stored so far.</param>
public sealed record ImportProgress(int Sent, int Created, int Existing, int Batches);
