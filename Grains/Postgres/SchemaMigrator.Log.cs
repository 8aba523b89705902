using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Postgres;

public static partial class SchemaMigrator
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Applied schema migration {Version} to database {Database}")]
    private static partial void LogScriptApplied(ILogger logger, string version, string database);
}
