using Dispatch.Grains.Webhooks;
using Npgsql;
using NpgsqlTypes;

namespace Dispatch.Grains.Storage;

/// <summary>One task transition to store: applied only if the task is still at <see cref="ExpectedVersion"/>.</summary>
/// <param name="Outbox">Webhook deliveries of the transition's events, stored with it; null or empty for none.</param>
public sealed record TaskWrite(string ProjectId, string TaskId, long ExpectedVersion, TaskChange Change, IReadOnlyList<WebhookOutboxEntry>? Outbox = null);

/// <summary>
/// Writes task transitions of many task grains by group commit, each batch as one set-based statement: the tasks'
/// versioned updates, the new and changed leases and the new submissions each go in as arrays, so a batch of hundreds
/// costs PostgreSQL about what a handful of single-row statements would. A transition whose version no longer
/// matches writes nothing and is answered null; the others in its batch are unaffected.
/// </summary>
public sealed class PostgresTaskWriter : IAsyncDisposable
{
    /// <summary>Most transitions in one batch.</summary>
    public const int MaxBatch = 1024;

    /// <summary>Batches under way at once.</summary>
    public const int Writers = 2;

    /// <summary>
    /// How long a transition may wait to be written. Well inside the grain calls' response timeout (the host sets
    /// 10 s), so the grain that asked hears whether it was stored before its own caller gives up. A batch takes
    /// milliseconds even under a crowd; one that takes seconds meets a database in trouble.
    /// </summary>
    public static readonly TimeSpan WriteDeadline = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly GroupCommit<TaskWrite, long?> _commits;

    /// <param name="connectionString">A connection string for the writer's own pool (see
    /// <see cref="Postgres.PostgresConnectionStrings.ForTaskWriter"/>).</param>
    public PostgresTaskWriter(string connectionString)
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _commits = new GroupCommit<TaskWrite, long?>(_dataSource, WriteBatchAsync, MaxBatch, Writers, WriteDeadline);
    }

    /// <summary>Stores the transition and returns the task's new version, or null when the version did not match.</summary>
    public Task<long?> WriteAsync(TaskWrite write) => _commits.WriteAsync(write);

    public async ValueTask DisposeAsync()
    {
        await _commits.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    private static async Task<long?[]> WriteBatchAsync(NpgsqlConnection connection, IReadOnlyList<TaskWrite> writes, CancellationToken cancellationToken)
    {
        // Only a batch with webhook deliveries pays for their part of the statement.
        var withOutbox = writes.Any(w => w.Outbox is { Count: > 0 });
        await using var command = new NpgsqlCommand(withOutbox ? PostgresTaskSql.SaveManyWithOutbox : PostgresTaskSql.SaveMany, connection);
        Bind(command.Parameters, writes);
        if (withOutbox)
        {
            BindOutbox(command.Parameters, writes);
        }

        // A single statement is its own transaction: when the reader is done, the batch has committed.
        var versions = new long?[writes.Count];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions[reader.GetInt64(0) - 1] = reader.GetInt64(1);
        }

        return versions;
    }

    private static void Bind(NpgsqlParameterCollection p, IReadOnlyList<TaskWrite> writes)
    {
        var columns = new Columns(writes.Count);
        for (var i = 0; i < writes.Count; i++)
        {
            columns.Add(i, writes[i]);
        }

        p.AddWithValue("projects", columns.Projects);
        p.AddWithValue("tasks", columns.Tasks);
        p.AddWithValue("expected", columns.Expected);
        p.AddWithValue("states", columns.States);
        p.AddWithValue("failed", columns.Failed);
        p.AddWithValue("completes", columns.Completes);

        p.AddWithValue("lease_idx", columns.LeaseIndex.ToArray());
        p.AddWithValue("lease_ids", columns.LeaseIds.ToArray());
        p.AddWithValue("lease_workers", columns.LeaseWorkers.ToArray());
        p.Add(Times("leased_at", columns.LeasedAt));
        p.Add(Times("lease_expires", columns.LeaseExpires));
        p.Add(new NpgsqlParameter("lease_review_of", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = columns.LeaseReviewOf.ToArray() });

        p.AddWithValue("upd_idx", columns.UpdatedIndex.ToArray());
        p.AddWithValue("upd_ids", columns.UpdatedIds.ToArray());
        p.AddWithValue("upd_states", columns.UpdatedStates.ToArray());
        p.Add(Times("upd_expires", columns.UpdatedExpires));

        p.AddWithValue("sub_idx", columns.SubmissionIndex.ToArray());
        p.AddWithValue("sub_workers", columns.SubmissionWorkers.ToArray());
        p.AddWithValue("sub_leases", columns.SubmissionLeases.ToArray());
        p.AddWithValue("sub_results", columns.SubmissionResults.ToArray());
        p.Add(Times("sub_at", columns.SubmittedAt));
        p.Add(new NpgsqlParameter("sub_correct", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { Value = columns.SubmissionCorrect.ToArray() });
        p.Add(new NpgsqlParameter("sub_rewards", NpgsqlDbType.Array | NpgsqlDbType.Numeric) { Value = columns.SubmissionRewards.ToArray() });
        p.Add(new NpgsqlParameter("sub_skills", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = columns.SubmissionSkills.ToArray() });
        p.AddWithValue("sub_states", columns.SubmissionStates.ToArray());
        p.Add(new NpgsqlParameter("sub_decided", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = columns.SubmissionDecidedAt.ToArray() });

        p.AddWithValue("dec_idx", columns.DecidedIndex.ToArray());
        p.AddWithValue("dec_workers", columns.DecidedWorkers.ToArray());
        p.AddWithValue("dec_states", columns.DecidedStates.ToArray());
        p.Add(Times("dec_at", columns.DecidedAt));
        p.Add(new NpgsqlParameter("dec_by", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { Value = columns.DecidedBy.ToArray() });
        p.Add(new NpgsqlParameter("dec_reviewers", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = columns.DecidedReviewers.ToArray() });
        p.Add(new NpgsqlParameter("dec_comments", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = columns.DecidedComments.ToArray() });
        p.Add(new NpgsqlParameter("dec_review_rewards", NpgsqlDbType.Array | NpgsqlDbType.Numeric) { Value = columns.DecidedReviewRewards.ToArray() });
    }

    private static void BindOutbox(NpgsqlParameterCollection p, IReadOnlyList<TaskWrite> writes)
    {
        var entries = writes.SelectMany((w, i) => (w.Outbox ?? []).Select(e => (Index: i + 1L, Entry: e))).ToList();
        p.AddWithValue("out_idx", entries.Select(e => e.Index).ToArray());
        p.AddWithValue("out_webhooks", entries.Select(e => e.Entry.WebhookId).ToArray());
        p.AddWithValue("out_events", entries.Select(e => e.Entry.EventId).ToArray());
        p.AddWithValue("out_types", entries.Select(e => e.Entry.Type).ToArray());
        p.AddWithValue("out_bodies", entries.Select(e => e.Entry.BodyJson).ToArray());
        p.Add(Times("out_at", [.. entries.Select(e => e.Entry.CreatedAt.UtcDateTime)]));
    }

    private static NpgsqlParameter Times(string name, List<DateTime> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = values.ToArray() };

    /// <summary>A batch turned column-wise: one array per column, each row naming its transition by index.</summary>
    private sealed class Columns(int count)
    {
        public readonly string[] Projects = new string[count];
        public readonly string[] Tasks = new string[count];
        public readonly long[] Expected = new long[count];
        public readonly short[] States = new short[count];
        public readonly int[] Failed = new int[count];
        public readonly bool[] Completes = new bool[count];

        public readonly List<long> LeaseIndex = [];
        public readonly List<string> LeaseIds = [];
        public readonly List<string> LeaseWorkers = [];
        public readonly List<DateTime> LeasedAt = [];
        public readonly List<DateTime> LeaseExpires = [];
        public readonly List<string?> LeaseReviewOf = [];

        public readonly List<long> UpdatedIndex = [];
        public readonly List<string> UpdatedIds = [];
        public readonly List<short> UpdatedStates = [];
        public readonly List<DateTime> UpdatedExpires = [];

        public readonly List<long> SubmissionIndex = [];
        public readonly List<string> SubmissionWorkers = [];
        public readonly List<string> SubmissionLeases = [];
        public readonly List<string> SubmissionResults = [];
        public readonly List<DateTime> SubmittedAt = [];
        public readonly List<bool?> SubmissionCorrect = [];
        public readonly List<decimal> SubmissionRewards = [];

        // Each submission's skills as one JSON array: PostgreSQL arrays of arrays must be rectangular.
        public readonly List<string> SubmissionSkills = [];
        public readonly List<short> SubmissionStates = [];
        public readonly List<DateTime?> SubmissionDecidedAt = [];

        public readonly List<long> DecidedIndex = [];
        public readonly List<string> DecidedWorkers = [];
        public readonly List<short> DecidedStates = [];
        public readonly List<DateTime> DecidedAt = [];
        public readonly List<short?> DecidedBy = [];
        public readonly List<string?> DecidedReviewers = [];
        public readonly List<string?> DecidedComments = [];
        public readonly List<decimal> DecidedReviewRewards = [];

        /// <param name="i">The transition's place in the batch; its rows name it as <c>i + 1</c>, the ordinal the
        /// statement gives it.</param>
        public void Add(int i, TaskWrite write)
        {
            long index = i + 1;
            var change = write.Change;
            Projects[i] = write.ProjectId;
            Tasks[i] = write.TaskId;
            Expected[i] = write.ExpectedVersion;
            States[i] = (short)change.State;
            Failed[i] = change.FailedAttempts;
            Completes[i] = change.Completes;

            if (change.NewLease is { } lease)
            {
                LeaseIndex.Add(index);
                LeaseIds.Add(lease.LeaseId);
                LeaseWorkers.Add(lease.WorkerId);
                LeasedAt.Add(lease.LeasedAt.UtcDateTime);
                LeaseExpires.Add(lease.ExpiresAt.UtcDateTime);
                LeaseReviewOf.Add(lease.ReviewOf);
            }

            foreach (var updated in change.UpdatedLeases)
            {
                UpdatedIndex.Add(index);
                UpdatedIds.Add(updated.LeaseId);
                UpdatedStates.Add((short)updated.State);
                UpdatedExpires.Add(updated.ExpiresAt.UtcDateTime);
            }

            if (change.NewSubmission is { } submission)
            {
                SubmissionIndex.Add(index);
                SubmissionWorkers.Add(submission.WorkerId);
                SubmissionLeases.Add(submission.LeaseId);
                SubmissionResults.Add(submission.ResultJson);
                SubmittedAt.Add(submission.SubmittedAt.UtcDateTime);
                SubmissionCorrect.Add(submission.Correct);
                SubmissionRewards.Add(submission.Reward);
                SubmissionSkills.Add(System.Text.Json.JsonSerializer.Serialize(submission.Skills));
                SubmissionStates.Add((short)submission.State);
                SubmissionDecidedAt.Add(submission.DecidedAt?.UtcDateTime);
            }

            if (change.DecidedSubmission is { } decided)
            {
                DecidedIndex.Add(index);
                DecidedWorkers.Add(decided.WorkerId);
                DecidedStates.Add((short)decided.State);
                DecidedAt.Add((decided.DecidedAt ?? decided.SubmittedAt).UtcDateTime);
                DecidedBy.Add(decided.Review is { } review ? (short)review.By : null);
                DecidedReviewers.Add(decided.Review?.ReviewerId);
                DecidedComments.Add(decided.Review?.Comment);
                DecidedReviewRewards.Add(decided.ReviewReward);
            }
        }
    }
}
