using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Dispatch.Api.OpenApi;

/// <summary>What the whole document says: which contract it describes, its tags, and how callers authenticate.</summary>
internal sealed class DocumentInfoTransformer : IOpenApiDocumentTransformer
{
    public const string BearerScheme = "bearer";

    private static readonly (string Name, string Description)[] Tags =
    [
        ("Requesters", "Requesters own projects. Only the admin creates them."),
        ("Workers", "Workers, their certifications and blocking. The admin manages them; a worker may read itself."),
        ("Projects", "Projects hold tasks and the rules for serving them. A requester sees only its own."),
        ("Tasks", "Import, read, list and retry the tasks of a project."),
        ("Results", "Completed tasks and their submissions, in completion order."),
        ("Aggregation", "One answer per completed task: majority at completion, or Dawid-Skene runs on request."),
        ("Review", "A project's submissions by review state, and the owner's verdict on each."),
        ("Events", "A project's task and worker events as Server-Sent Events."),
        ("Webhooks", "URLs that a project's events are posted to, signed, with retries; and each registration's delivery log."),
        ("Work", "The worker's cycle: claim a lease, heartbeat, submit or release it. The admin may act for any worker."),
        ("Money", "A worker's ledger of rewards, bonuses and payouts, with running balances; bonuses and payouts are paid once per key."),
    ];

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Dispatch HTTP API",
            Version = "1.1",
            Description = "Task distribution for crowd work: projects of tasks, leased to workers, results back as submissions. "
                + "Every error is `application/problem+json` whose `type` is one of the contract's short names. "
                + "The reference in words is `docs/api.md` in the repository.",
        };

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "`Authorization: Bearer <secret>`: the admin key (configuration `Dispatch:AdminKey`), a requester's API key "
                + "(from CreateRequester) or a worker's token (from CreateWorker). Each operation says which roles it is open to.",
        };

        // Paths start with a slash, so a server URL ending in one would double it (http://host//v1/...).
        foreach (var server in document.Servers ?? [])
        {
            if (server.Url is { Length: > 1 } url && url.EndsWith('/'))
            {
                server.Url = url.TrimEnd('/');
            }
        }

        document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));
        return Task.CompletedTask;
    }
}
