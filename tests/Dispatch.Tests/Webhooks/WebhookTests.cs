using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Webhooks;

/// <summary>
/// Webhooks against a real receiver, on both backends: every event of the project arrives signed, failures are
/// retried until each event is delivered, a deleted registration gets nothing more, and private targets are refused
/// unless the server allows them.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class WebhookTests(PostgresServer postgres)
{
    private const string Secret = "s3cret-of-the-receiver-0123456789";
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(StorageMode.Memory)]
    [InlineData(StorageMode.Postgres)]
    public async Task EveryEvent_IsPostedOnce_Signed_WithItsId_AndLoggedDelivered(StorageMode storage)
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        await using var host = await StartAsync(storage);
        using var admin = host.CreateAdminClient();
        var (projectId, worker) = await ProjectWithOneTaskAsync(host, admin);
        var created = (await admin.PostApiAsync($"/v1/projects/{projectId}/webhooks", new { url = receiver.Url, secret = Secret })).Is(HttpStatusCode.Created);
        var webhookId = created["id"]!.GetValue<string>();
        Assert.Equal(receiver.Url, created["url"]!.GetValue<string>());
        Assert.Empty(created["events"]!.AsArray());
        Assert.Null(created["secret"]);
        var onlyCompleted = (await admin.PostApiAsync($"/v1/projects/{projectId}/webhooks", new { url = receiver.Url + "?only=completed", secret = Secret, events = new[] { "task.completed" } })).Is(HttpStatusCode.Created);
        var list = await admin.GetApiAsync($"/v1/projects/{projectId}/webhooks");
        list.DoesNotContainSecret(Secret);
        Assert.Equal(2, list.Is(HttpStatusCode.OK)["items"]!.AsArray().Count);

        await LeaseAndSubmitAsync(worker, projectId);

        var delivered = await receiver.WaitForDeliveredAsync(d => d.Count == 4, Within);
        Assert.All(delivered.Values, p => Assert.True(p.SignatureValid, $"signature {p.Signature} does not verify for {p.Body}"));
        Assert.All(delivered.Values, p => Assert.Equal(p.EventId, p.Event["id"]!.GetValue<string>()));
        Assert.All(delivered.Values, p => Assert.Equal(projectId, p.Event["projectId"]!.GetValue<string>()));
        var types = delivered.Values.Select(p => p.Event["type"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(["task.completed", "task.completed", "task.leased", "task.submitted"], types);

        // One event has one id, whichever registrations it is posted to.
        Assert.Single(delivered.Values.Where(p => p.Event["type"]!.GetValue<string>() == "task.completed").Select(p => p.EventId).Distinct());

        var log = await SettledLogAsync(admin, $"/v1/projects/{projectId}/webhooks/{webhookId}/deliveries");
        Assert.Equal(["task.completed", "task.submitted", "task.leased"], log.Select(d => d!["type"]!.GetValue<string>()));
        Assert.All(log, d =>
        {
            Assert.Equal("delivered", d!["state"]!.GetValue<string>());
            Assert.Equal(1, d["attempts"]!.GetValue<int>());
            Assert.Equal(200, d["lastStatus"]!.GetValue<int>());
            Assert.Null(d["nextAttemptAt"]);
        });
        var onlyLog = (await admin.GetApiAsync($"/v1/projects/{projectId}/webhooks/{onlyCompleted["id"]}/deliveries?limit=10")).Is(HttpStatusCode.OK)["items"]!.AsArray();
        Assert.Equal("task.completed", Assert.Single(onlyLog)!["type"]!.GetValue<string>());
    }

    /// <summary>
    /// The delivery log once every entry is delivered, or as it stands after 5 s: the receiver answers before the
    /// dispatcher stores the outcome, so the log catches up a moment after the receiver saw the last post.
    /// </summary>
    private static async Task<JsonArray> SettledLogAsync(HttpClient admin, string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var log = (await admin.GetApiAsync(path)).Is(HttpStatusCode.OK)["items"]!.AsArray();
            if (log.All(d => d!["state"]!.GetValue<string>() == "delivered") || DateTime.UtcNow > deadline)
            {
                return log;
            }

            await Task.Delay(100);
        }
    }

    [Theory]
    [InlineData(StorageMode.Memory)]
    [InlineData(StorageMode.Postgres)]
    public async Task AReceiverThatFailsTheFirstAttempts_StillGetsEveryEvent(StorageMode storage)
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        receiver.Answer = (_, attempt) => attempt <= 2 ? 500 : 204;
        await using var host = await StartAsync(storage);
        using var admin = host.CreateAdminClient();
        var (projectId, worker) = await ProjectWithOneTaskAsync(host, admin);
        var webhookId = (await admin.PostApiAsync($"/v1/projects/{projectId}/webhooks", new { url = receiver.Url, secret = Secret })).Is(HttpStatusCode.Created)["id"]!.GetValue<string>();

        await LeaseAndSubmitAsync(worker, projectId);

        var delivered = await receiver.WaitForDeliveredAsync(d => d.Count == 3, Within);
        Assert.All(delivered.Values, p => Assert.Equal(3, p.Attempt));
        Assert.All(receiver.Posts, p => Assert.True(p.SignatureValid));
        var log = await SettledLogAsync(admin, $"/v1/projects/{projectId}/webhooks/{webhookId}/deliveries");
        Assert.All(log, d =>
        {
            Assert.Equal("delivered", d!["state"]!.GetValue<string>());
            Assert.Equal(3, d["attempts"]!.GetValue<int>());
            Assert.Equal(204, d["lastStatus"]!.GetValue<int>());
        });
    }

    [Theory]
    [InlineData(StorageMode.Memory)]
    [InlineData(StorageMode.Postgres)]
    public async Task ADeletedRegistration_GetsNothingMore(StorageMode storage)
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        receiver.Answer = (_, _) => 503;
        await using var host = await StartAsync(storage);
        using var admin = host.CreateAdminClient();
        var (projectId, worker) = await ProjectWithOneTaskAsync(host, admin, tasks: 2);
        var webhookId = (await admin.PostApiAsync($"/v1/projects/{projectId}/webhooks", new { url = receiver.Url, secret = Secret })).Is(HttpStatusCode.Created)["id"]!.GetValue<string>();
        await LeaseAndSubmitAsync(worker, projectId);
        await WaitUntilAsync(() => receiver.Posts.Count >= 3);

        (await admin.DeleteApiAsync($"/v1/projects/{projectId}/webhooks/{webhookId}")).IsEmpty(HttpStatusCode.NoContent);
        var deletedAt = DateTimeOffset.UtcNow;
        receiver.Answer = (_, _) => 200;
        await LeaseAndSubmitAsync(worker, projectId);
        await Task.Delay(TimeSpan.FromSeconds(3));

        // An attempt under way when the registration was deleted may still land; none starts afterwards, neither for
        // the events still pending nor for the new ones.
        Assert.DoesNotContain(receiver.Posts, p => p.At > deletedAt.AddSeconds(1));
        (await admin.GetApiAsync($"/v1/projects/{projectId}/webhooks/{webhookId}/deliveries")).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await admin.DeleteApiAsync($"/v1/projects/{projectId}/webhooks/{webhookId}")).IsProblem(HttpStatusCode.NotFound, "not-found");
        Assert.Empty((await admin.GetApiAsync($"/v1/projects/{projectId}/webhooks")).Is(HttpStatusCode.OK)["items"]!.AsArray());
    }

    [Theory]
    [InlineData(StorageMode.Memory)]
    [InlineData(StorageMode.Postgres)]
    public async Task PrivateAndMalformedTargets_AreRefused_AndNothingIsStored(StorageMode storage)
    {
        await using var host = await StartAsync(storage, allowPrivateNetworks: false);
        using var admin = host.CreateAdminClient();
        var (projectId, _) = await ProjectWithOneTaskAsync(host, admin);
        var path = $"/v1/projects/{projectId}/webhooks";

        foreach (var url in new[] { "http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/", "http://192.168.0.1/", "http://172.16.0.1/",
                     "http://169.254.169.254/latest/meta-data", "http://100.64.0.1/", "http://0.0.0.0/", "http://[::1]/", "http://[fd00::1]/", "http://[fe80::1]/",
                     "http://[::ffff:127.0.0.1]/" })
        {
            (await admin.PostApiAsync(path, new { url, secret = Secret })).IsValidationProblem("url");
        }

        (await admin.PostApiAsync(path, new { url = "ftp://example.com/", secret = Secret })).IsValidationProblem("url");
        (await admin.PostApiAsync(path, new { url = "not a url", secret = Secret })).IsValidationProblem("url");
        (await admin.PostApiAsync(path, new { url = "https://example.com/", secret = "short" })).IsValidationProblem("secret");
        (await admin.PostApiAsync(path, new { url = "https://example.com/", secret = new string('x', 257) })).IsValidationProblem("secret");
        (await admin.PostApiAsync(path, new { url = "https://example.com/" })).IsValidationProblem("secret");
        (await admin.PostApiAsync(path, new { url = "https://example.com/", secret = Secret, events = new[] { "task.exploded" } })).IsValidationProblem("events");
        Assert.Empty((await admin.GetApiAsync(path)).Is(HttpStatusCode.OK)["items"]!.AsArray());
        (await admin.PostApiAsync("/v1/projects/no-such-project/webhooks", new { url = "https://example.com/", secret = Secret })).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task ARequester_SeesOnlyTheWebhooksOfItsOwnProjects()
    {
        await using var host = await StartAsync(StorageMode.Memory);
        using var admin = host.CreateAdminClient();
        var (projectId, _) = await ProjectWithOneTaskAsync(host, admin);
        var key = (await admin.PostApiAsync("/v1/requesters", new { id = "other", name = "Other" })).Is(HttpStatusCode.Created)["apiKey"]!.GetValue<string>();
        using var other = host.CreateClient(key);

        (await other.GetApiAsync($"/v1/projects/{projectId}/webhooks")).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await other.PostApiAsync($"/v1/projects/{projectId}/webhooks", new { url = "http://127.0.0.1/", secret = Secret })).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    private Task<DispatchApiFactory> StartAsync(StorageMode storage, bool allowPrivateNetworks = true) =>
        WebhookHosts.StartAsync(storage, postgres, allowPrivateNetworks);

    private sealed record TestWorker(string Id, HttpClient Client);

    private static async Task<(string ProjectId, TestWorker Worker)> ProjectWithOneTaskAsync(DispatchApiFactory host, HttpClient admin, int tasks = 1)
    {
        var projectId = "hooks-" + Guid.NewGuid().ToString("N")[..8];
        (await admin.PostApiAsync("/v1/projects", new { id = projectId, name = "Hooks" })).Is(HttpStatusCode.Created);
        var items = Enumerable.Range(0, tasks).Select(i => new JsonObject { ["id"] = $"t{i}", ["payload"] = i }).ToArray();
        (await admin.PostApiAsync($"/v1/projects/{projectId}/tasks", new JsonObject { ["tasks"] = new JsonArray(items) })).Is(HttpStatusCode.OK);
        var workerId = "w-" + projectId;
        var token = (await admin.PostApiAsync("/v1/workers", new { id = workerId })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
        return (projectId, new TestWorker(workerId, host.CreateClient(token)));
    }

    /// <summary>Leases a task of the project and submits it: task.leased, task.submitted, task.completed (overlap 1).</summary>
    private static async Task LeaseAndSubmitAsync(TestWorker worker, string projectId)
    {
        var leaseId = (await worker.Client.PostApiAsync($"/v1/workers/{worker.Id}/leases", new { projectId })).Is(HttpStatusCode.Created)["leaseId"]!.GetValue<string>();
        (await worker.Client.PostApiAsync($"/v1/workers/{worker.Id}/leases/{leaseId}/submit", new { result = "yes" })).Is(HttpStatusCode.OK);
    }

    private static async Task WaitUntilAsync(Func<bool> done)
    {
        var deadline = DateTime.UtcNow + Within;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold in time.");
            await Task.Delay(50);
        }
    }
}
