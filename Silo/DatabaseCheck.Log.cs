namespace Dispatch.Silo;

public static partial class DatabaseCheck
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Critical,
        Message = "PostgreSQL at {Server} has no database '{Database}'. Create it as a superuser: {CreateDatabase}; or point ConnectionStrings:Dispatch at one that exists. Dispatch creates its tables itself.")]
    private static partial void LogMissingDatabase(ILogger logger, string server, string database, string createDatabase);

    [LoggerMessage(EventId = 2, Level = LogLevel.Critical,
        Message = "PostgreSQL at {Server} refused user '{User}' for database '{Database}' ({Reason}). Check Username and Password in ConnectionStrings:Dispatch, and that pg_hba.conf lets this user in from here.")]
    private static partial void LogRefusedUser(ILogger logger, string server, string user, string database, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Critical,
        Message = "PostgreSQL at {Server} refused a connection to database '{Database}': {SqlState} {Reason}. Fix the cause on the server or in ConnectionStrings:Dispatch, then start again.")]
    private static partial void LogRefused(ILogger logger, string server, string database, string sqlState, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Critical,
        Message = "Cannot reach PostgreSQL at {Server} ({Reason}). Start the server, or fix Host and Port in ConnectionStrings:Dispatch; a firewall may also be in the way.")]
    private static partial void LogUnreachable(ILogger logger, string server, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Critical,
        Message = "ConnectionStrings:Dispatch is not a valid Npgsql connection string ({Reason}). Write it as Host=...;Port=5432;Database=...;Username=...;Password=...")]
    private static partial void LogMalformed(ILogger logger, string reason);
}
