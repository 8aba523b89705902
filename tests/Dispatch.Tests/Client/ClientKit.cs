using System.Text.Json;
using Dispatch.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Tests.Client;

/// <summary>
/// Dispatch clients for one test, made the way an application makes them (<c>AddDispatchClient</c>, so the retry
/// pipeline is the real one), pointed at a real host; <paramref name="fault"/> may sit between the retries and the
/// network, as a flaky proxy would.
/// </summary>
internal sealed class ClientKit : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private ClientKit(ServiceProvider services)
    {
        _services = services;
        Admin = services.GetRequiredService<DispatchClient>();
    }

    /// <summary>Acts with the host's admin key.</summary>
    public DispatchClient Admin { get; }

    public static ClientKit Create(Uri baseAddress, string adminKey, Func<DelegatingHandler>? fault = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddDispatchClient(options =>
        {
            options.BaseAddress = baseAddress;
            options.Secret = adminKey;
            options.RetryDelay = TimeSpan.FromMilliseconds(200);
            options.MaxRetryDelay = TimeSpan.FromSeconds(5);
        });
        if (fault is not null)
        {
            builder.AddHttpMessageHandler(fault);
        }

        return new ClientKit(services.BuildServiceProvider());
    }

    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value);

    /// <summary>A requester with a project, and a worker, each with its own client.</summary>
    public async Task<Crew> CrewAsync(Func<NewProject, NewProject>? project = null, int? maxActiveLeases = null)
    {
        var requester = await Admin.CreateRequesterAsync(new NewRequester(NewId("req"), "Client tests"));
        var worker = await Admin.CreateWorkerAsync(new NewWorker(NewId("wrk"), "Mina", maxActiveLeases));
        var requesterClient = Admin.As(requester.ApiKey);
        var settings = new NewProject(NewId("prj")) { Name = "Cat or fur ball?", LeaseSeconds = 300 };
        var created = await requesterClient.CreateProjectAsync(project is null ? settings : project(settings));
        return new Crew(requesterClient, Admin.As(worker.Token), worker.Id, created.Id);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

/// <summary>A requester's client and project, and a worker's client and id.</summary>
internal sealed record Crew(DispatchClient Requester, DispatchClient Worker, string WorkerId, string ProjectId)
{
    public Task<ImportResult> ImportAsync(params string[] taskIds) =>
        Requester.ImportTasksAsync(ProjectId, [.. taskIds.Select(id => new NewTask(ClientKit.Json(new { url = $"https://example.com/{id}.jpg" })) { Id = id })]);

    /// <summary>Waits until the project has <paramref name="completed"/> completed tasks, or fails after <paramref name="timeout"/>.</summary>
    public async Task<Project> WaitForCompletedAsync(long completed, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var project = await Requester.GetProjectAsync(ProjectId);
            if (project.Counts.Completed >= completed || DateTime.UtcNow > deadline)
            {
                return project;
            }

            await Task.Delay(100);
        }
    }
}
