using Dispatch.Grains.Postgres;
using Dispatch.Webhooks;
using Npgsql;
using NpgsqlTypes;

namespace Dispatch.Grains.Webhooks;

/// <summary>
/// The outbox in dispatch_webhook_outbox; the rows of task changes are inserted by <see cref="Storage.PostgresTaskWriter"/>,
/// those of imports by <see cref="Storage.PostgresTaskImport"/> through <see cref="InsertAsync"/>.
/// </summary>
public sealed class PostgresWebhookOutbox(NpgsqlDataSource dataSource) : IWebhookOutbox
{
    public async Task AddAsync(IReadOnlyList<WebhookOutboxEntry> entries, CancellationToken cancellationToken = default)
    {
        if (entries.Count > 0)
        {
            await dataSource.OnConnectionAsync(connection => InsertAsync(connection, transaction: null, entries, cancellationToken), cancellationToken);
        }
    }

    /// <summary>Inserts the entries with one statement, in <paramref name="transaction"/> when there is one.</summary>
    internal static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<WebhookOutboxEntry> entries, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(PostgresWebhookSql.Insert, connection, transaction);
        command.Parameters.AddWithValue("projects", entries.Select(e => e.ProjectId).ToArray());
        command.Parameters.AddWithValue("webhooks", entries.Select(e => e.WebhookId).ToArray());
        command.Parameters.AddWithValue("events", entries.Select(e => e.EventId).ToArray());
        command.Parameters.AddWithValue("types", entries.Select(e => e.Type).ToArray());
        command.Parameters.AddWithValue("bodies", entries.Select(e => e.BodyJson).ToArray());
        command.Parameters.Add(new NpgsqlParameter("at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = entries.Select(e => e.CreatedAt.UtcDateTime).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(DateTimeOffset now, DateTimeOffset claimUntil, int limit, IReadOnlyCollection<string> exceptWebhooks, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PostgresWebhookSql.Claim);
        command.Parameters.AddWithValue("now", now.UtcDateTime);
        command.Parameters.AddWithValue("claim_until", claimUntil.UtcDateTime);
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("except", exceptWebhooks.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claimed = new List<ClaimedDelivery>();
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new ClaimedDelivery(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                new DateTimeOffset(reader.GetDateTime(5), TimeSpan.Zero)));
        }

        return claimed;
    }

    public async Task RecordAsync(DeliveryOutcome outcome, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PostgresWebhookSql.Record);
        command.Parameters.AddWithValue("state", (short)outcome.State);
        command.Parameters.Add(new NpgsqlParameter("status", NpgsqlDbType.Integer) { Value = (object?)outcome.Status ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("next", NpgsqlDbType.TimestampTz) { Value = (object?)outcome.NextAttemptAt?.UtcDateTime ?? DBNull.Value });
        command.Parameters.AddWithValue("webhook", outcome.Delivery.WebhookId);
        command.Parameters.AddWithValue("event", outcome.Delivery.EventId);
        command.Parameters.AddWithValue("attempts", outcome.Delivery.Attempts);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<WebhookDeliveryView>> ListAsync(string webhookId, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PostgresWebhookSql.List);
        command.Parameters.AddWithValue("webhook", webhookId);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var views = new List<WebhookDeliveryView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var state = (WebhookDeliveryState)reader.GetInt16(reader.GetOrdinal("state"));
            var next = reader.GetOrdinal("next_attempt_at");
            var status = reader.GetOrdinal("last_status");
            views.Add(new WebhookDeliveryView(
                reader.GetString(reader.GetOrdinal("event_id")),
                reader.GetString(reader.GetOrdinal("type")),
                reader.GetInt32(reader.GetOrdinal("attempts")),
                reader.IsDBNull(status) ? null : reader.GetInt32(status),
                state,
                state != WebhookDeliveryState.Pending || reader.IsDBNull(next) ? null : new DateTimeOffset(reader.GetDateTime(next), TimeSpan.Zero)));
        }

        return views;
    }

    public async Task DeleteAsync(string webhookId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PostgresWebhookSql.Delete);
        command.Parameters.AddWithValue("webhook", webhookId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
