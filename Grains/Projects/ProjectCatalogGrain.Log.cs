using Dispatch.Projects;
using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Projects;

public sealed partial class ProjectCatalogGrain
{
    [LoggerMessage(EventId = 1501, Level = LogLevel.Debug, Message = "Catalogue routes project {ProjectId} as {Status}, tier {Tier}, priority {Priority}")]
    private static partial void LogRouteStored(ILogger logger, string projectId, ProjectStatus status, int tier, int priority);
}
