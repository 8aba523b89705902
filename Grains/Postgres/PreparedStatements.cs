using Npgsql;

namespace Dispatch.Grains.Postgres;

/// <summary>
/// Keeps a connection's prepared statements trustworthy after a statement failed on the server.
/// </summary>
/// <remarks>
/// Npgsql (10.0.3, npgsql/npgsql#6391, open) prepares a statement automatically on one of its executions. When that
/// very execution fails on the server (a constraint, a cancelled statement, a deadlock), the connection's record of
/// what is prepared no longer matches the server's, and the next use of the statement on that pooled connection reads
/// messages it does not expect: "Received unexpected backend message DataRow", or another statement's row read as its
/// own. Dropping every prepared statement of that connection (<c>DEALLOCATE ALL</c>) before it goes back to the pool
/// puts both sides in step again; its statements are prepared afresh as they are used.
/// </remarks>
public static class PreparedStatements
{
    /// <summary>
    /// Runs <paramref name="work"/> on a connection of <paramref name="dataSource"/>; a failure the server reported
    /// makes the connection forget its prepared statements before it returns to the pool.
    /// </summary>
    public static async Task<T> OnConnectionAsync<T>(this NpgsqlDataSource dataSource, Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            return await work(connection);
        }
        catch (Exception e) when (e is PostgresException or OperationCanceledException)
        {
            Forget(connection);
            throw;
        }
    }

    /// <inheritdoc cref="OnConnectionAsync{T}"/>
    public static Task OnConnectionAsync(this NpgsqlDataSource dataSource, Func<NpgsqlConnection, Task> work, CancellationToken cancellationToken) =>
        dataSource.OnConnectionAsync(
            async connection =>
            {
                await work(connection);
                return true;
            },
            cancellationToken);

    private static void Forget(NpgsqlConnection connection)
    {
        try
        {
            connection.UnprepareAll();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // A connection that cannot even do this is broken, and its pool discards it.
        }
    }
}
