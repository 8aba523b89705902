using System.Data.Common;
using Npgsql;

namespace Dispatch.Grains.Postgres;

/// <summary>
/// Defaults Dispatch adds to a PostgreSQL connection string, each only where the operator's string does not say.
/// (Npgsql's own builder answers <c>ContainsKey</c> true for every keyword it knows, so what the operator wrote is
/// read from the raw string.)
/// </summary>
public static class PostgresConnectionStrings
{
    /// <summary>Connections one pool keeps when the connection string does not say. Default: 20.</summary>
    public const int DefaultMaxPoolSize = 20;

    /// <summary>Statements the task store's connections keep prepared when the connection string does not say. Default: 32.</summary>
    public const int DefaultMaxAutoPrepare = 32;

    /// <summary>
    /// Every silo holds its own pools (one for Orleans' providers, one for the task store) and PostgreSQL allows
    /// 100 connections by default, so a connection string that sets no pool size gets a small one.
    /// </summary>
    public static string? BoundPool(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString) || Says(connectionString, "maximumpoolsize", "maxpoolsize"))
        {
            return connectionString;
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = DefaultMaxPoolSize }.ConnectionString;
    }

    /// <summary>
    /// The task store runs the same few statements all day, and PostgreSQL's CPU, not the silo's, limits a crowd on
    /// one machine. So its statements are prepared once per connection (no parsing and planning on every claim and
    /// submit), and a connection going back to the pool is not reset: the store leaves no session state behind, and
    /// the reset (<c>DISCARD ALL</c>) cost one more statement and transaction per read and dropped the prepared
    /// statements with it. Prepared statements are still planned for their values (<c>plan_cache_mode</c>): the
    /// same read serves a project of ten tasks and one of a million, and a plan cached for one can be slow for the other.
    /// </summary>
    public static string ForTaskStore(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Says(connectionString, "maxautoprepare"))
        {
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        if (!Says(connectionString, "noresetonclose"))
        {
            builder.NoResetOnClose = true;
        }

        if (!Says(connectionString, "options"))
        {
            builder.Options = "-c plan_cache_mode=force_custom_plan";
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// The task writer's own pool: the store's settings, with just the connections its writers use at once. Its one
    /// statement is still planned for each batch: a generic plan made while the tables were nearly empty scanned them
    /// whole ever after, and a crowd on a fresh database slowed from 380 to 175 cycles/s within a minute.
    /// </summary>
    public static string ForTaskWriter(string connectionString, int writers) =>
        new NpgsqlConnectionStringBuilder(ForTaskStore(connectionString)) { MaxPoolSize = writers }.ConnectionString;

    /// <summary>Whether the string sets one of these keywords (compared lower-case, without spaces).</summary>
    private static bool Says(string connectionString, params string[] keywords)
    {
        var written = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return written.Keys.Cast<string>().Any(key => keywords.Contains(key.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()));
    }
}
