using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Dispatch.Tests.Work;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Tests.Webhooks;

/// <summary>
/// The events that are not task changes, posted to a real receiver on both backends: <c>task.created</c> once per
/// import, <c>worker.certified</c> by a passed exam, <c>worker.suspended</c> by the quality rule; each only to the
/// registrations that want its type, and a worker event whose outbox insert failed still arrives.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class WebhookTaskAndWorkerEventsTests(PostgresServer postgres)
{
    private const string Secret = "s3cret-of-the-receiver-0123456789";
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(StorageMode.Memory)]
    [InlineData(StorageMode.Postgres)]
    public async Task EachImport_PostsOneTaskCreated_WithTheCountItCreated_AsTheEventStreamShowsIt(StorageMode storage)
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        await using var host = await WebhookHosts.StartAsync(storage, postgres);
        using var admin = host.CreateAdminClient();
        var projectId = await CreateProjectAsync(admin, "{}");
        var all = await RegisterAsync(admin, projectId, receiver, "all");
        var leasedOnly = await RegisterAsync(admin, projectId, receiver, "leased", "task.leased");
        var (stream, refusal) = await SseReader.OpenAsync(admin, $"/v1/projects/{projectId}/events");
        Assert.True(stream is not null, $"could not open the events: {refusal}");
        await using var events = stream;

        Assert.Equal(3, (await ImportAsync(admin, projectId, "t0", "t1", "t2"))["created"]!.GetValue<int>());
        // Two stored already, two new: on PostgreSQL the import that goes beside the stored rows.
        Assert.Equal(2, (await ImportAsync(admin, projectId, "t1", "t2", "t3", "t4"))["created"]!.GetValue<int>());
        Assert.Equal(0, (await ImportAsync(admin, projectId, "t0"))["created"]!.GetValue<int>());

        // Stored with the imports: the log holds them as soon as the imports are answered.
        var log = await LogAsync(admin, projectId, all);
        Assert.Equal(["task.created", "task.created"], log.Select(d => d!["type"]!.GetValue<string>()));
        var delivered = await receiver.WaitForDeliveredAsync(d => d.Count == 2, Within);
        Assert.All(delivered.Values, p =>
        {
            Assert.True(p.SignatureValid, $"signature {p.Signature} does not verify for {p.Body}");
            Assert.Equal("?all", p.Query);
            Assert.Equal("task.created", p.Event["type"]!.GetValue<string>());
            Assert.Equal(p.EventId, p.Event["id"]!.GetValue<string>());
            Assert.Equal(projectId, p.Event["projectId"]!.GetValue<string>());
            Assert.Null(p.Event["taskId"]);
        });
        var posted = delivered.Values.OrderBy(p => p.Event["data"]!["count"]!.GetValue<int>()).ToList();
        Assert.Equal([2, 3], posted.Select(p => p.Event["data"]!["count"]!.GetValue<int>()));

        // The same events as the stream's: same counts, same times.
        var streamed = new List<JsonNode>();
        foreach (var count in new[] { 2, 3 })
        {
            streamed.Add((await events.WaitForAsync(
                f => f.Event == "task.created" && f.Json["data"]?["count"]?.GetValue<int>() == count, $"task.created of {count}", Within)).Json);
        }

        Assert.Equal(2, events.Frames.Count(f => f.Event == "task.created"));
        Assert.Equal(
            streamed.Select(j => j["at"]!.GetValue<DateTimeOffset>()),
            posted.Select(p => p.Event["at"]!.GetValue<DateTimeOffset>()));

        // A registration that wants only task.leased got no task.created, and does get what it wants.
        Assert.Empty(await LogAsync(admin, projectId, leasedOnly));
        var worker = await CreateWorkerAsync(host, admin);
        await ClaimAsync(worker, projectId);
        Assert.Equal("task.leased", Assert.Single(await LogAsync(admin, projectId, leasedOnly))!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(StorageMode.Memory)]
    [InlineData(StorageMode.Postgres)]
    public async Task PassingAnExam_PostsWorkerCertified_WithSkillAndLevel(StorageMode storage)
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        await using var host = await WebhookHosts.StartAsync(storage, postgres);
        using var admin = host.CreateAdminClient();
        var exam = await CreateProjectAsync(admin, """{"exam":{"skill":"french","level":2,"passScore":0.6}}""");
        await ImportGoldenAsync(admin, exam, 3);
        var all = await RegisterAsync(admin, exam, receiver, "all");
        var certifiedOnly = await RegisterAsync(admin, exam, receiver, "certified", "worker.certified");
        var suspendedOnly = await RegisterAsync(admin, exam, receiver, "suspended", "worker.suspended");
        var worker = await CreateWorkerAsync(host, admin);

        for (var i = 0; i < 3; i++)
        {
            await AnswerAsync(worker, await ClaimAsync(worker, exam), correctly: i != 1);
        }

        var delivered = await receiver.WaitForDeliveredAsync(d => d.Values.Count(p => p.Event["type"]!.GetValue<string>() == "worker.certified") == 2, Within);
        var certified = delivered.Values.Where(p => p.Event["type"]!.GetValue<string>() == "worker.certified").ToList();
        Assert.Equal(["?all", "?certified"], certified.Select(p => p.Query).Order());
        Assert.Single(certified.Select(p => p.EventId).Distinct());
        var posted = certified[0];
        Assert.True(posted.SignatureValid, $"signature {posted.Signature} does not verify for {posted.Body}");
        Assert.Equal(exam, posted.Event["projectId"]!.GetValue<string>());
        Assert.Equal(worker.Id, posted.Event["workerId"]!.GetValue<string>());
        Assert.Equal("french", posted.Event["data"]!["skill"]!.GetValue<string>());
        Assert.Equal(2, posted.Event["data"]!["level"]!.GetValue<int>());

        Assert.Contains(await LogAsync(admin, exam, all), d => d!["type"]!.GetValue<string>() == "worker.certified");
        Assert.Equal("worker.certified", Assert.Single(await LogAsync(admin, exam, certifiedOnly))!["type"]!.GetValue<string>());
        Assert.Empty(await LogAsync(admin, exam, suspendedOnly));
    }

    [Theory]
    [InlineData(StorageMode.Memory)]
    [InlineData(StorageMode.Postgres)]
    public async Task SuspensionByTheQualityRule_PostsWorkerSuspended(StorageMode storage)
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        await using var host = await WebhookHosts.StartAsync(storage, postgres);
        using var admin = host.CreateAdminClient();
        var judged = await CreateProjectAsync(admin, """{"requirements":[{"skill":"french","minLevel":1}],"quality":{"minGolden":3,"minAccuracy":0.7}}""");
        await ImportGoldenAsync(admin, judged, 3);
        var suspendedOnly = await RegisterAsync(admin, judged, receiver, "suspended", "worker.suspended");
        var certifiedOnly = await RegisterAsync(admin, judged, receiver, "certified", "worker.certified");
        var worker = await CreateWorkerAsync(host, admin);
        (await admin.PutApiAsync($"/v1/workers/{worker.Id}/certifications/french", new { level = 1 })).Is(HttpStatusCode.OK);

        for (var i = 0; i < 3; i++)
        {
            await AnswerAsync(worker, await ClaimAsync(worker, judged), correctly: i == 0);
        }

        var delivered = await receiver.WaitForDeliveredAsync(d => d.Count == 1, Within);
        var posted = Assert.Single(delivered.Values);
        Assert.True(posted.SignatureValid, $"signature {posted.Signature} does not verify for {posted.Body}");
        Assert.Equal("?suspended", posted.Query);
        Assert.Equal("worker.suspended", posted.Event["type"]!.GetValue<string>());
        Assert.Equal(judged, posted.Event["projectId"]!.GetValue<string>());
        Assert.Equal(worker.Id, posted.Event["workerId"]!.GetValue<string>());
        Assert.Equal("french", posted.Event["data"]!["skill"]!.GetValue<string>());
        Assert.Equal(3, posted.Event["data"]!["goldenSeen"]!.GetValue<int>());
        Assert.Empty(await LogAsync(admin, judged, certifiedOnly));
        Assert.Single(await LogAsync(admin, judged, suspendedOnly));
    }

    /// <summary>
    /// The outbox fails the worker's first insert, after the certification is written: the submit still succeeds,
    /// and the event, kept in the worker's state, arrives on the worker's reminder tick without any further call.
    /// </summary>
    [Theory]
    [InlineData(StorageMode.Memory)]
    [InlineData(StorageMode.Postgres)]
    public async Task AWorkerEventTheOutboxRefusedOnce_ArrivesOnTheWorkersReminder_WithoutAnotherCall(StorageMode storage)
    {
        await using var refused = await CertifiedWithTheOutboxRefusingOnceAsync(storage);
        var view = (await refused.Admin.GetApiAsync($"/v1/workers/{refused.Worker.Id}")).Is(HttpStatusCode.OK);
        Assert.Equal("french", Assert.Single(view["certifications"]!.AsArray())!["skill"]!.GetValue<string>());
        Assert.Empty(await LogAsync(refused.Admin, refused.Exam, refused.WebhookId));

        var posted = Assert.Single((await refused.Receiver.WaitForDeliveredAsync(d => d.Count == 1, TimeSpan.FromSeconds(40))).Values);
        Assert.True(posted.SignatureValid);
        Assert.Equal("worker.certified", posted.Event["type"]!.GetValue<string>());
        Assert.Equal(refused.Worker.Id, posted.Event["workerId"]!.GetValue<string>());
        Assert.Equal(2, refused.Outbox.Adds);
        Assert.Single(await LogAsync(refused.Admin, refused.Exam, refused.WebhookId));
    }

    /// <summary>
    /// As above, but the worker's activation ends before its reminder is due: the next activation reads the event from
    /// the stored state (through the grain storage's serializer, on PostgreSQL) and stores it in the outbox, well before
    /// the reminder's first tick (10 s after the certification).
    /// </summary>
    [Theory]
    [InlineData(StorageMode.Memory)]
    [InlineData(StorageMode.Postgres)]
    public async Task AWorkerEventTheOutboxRefusedOnce_ArrivesWhenTheWorkerIsActivatedAgain(StorageMode storage)
    {
        await using var refused = await CertifiedWithTheOutboxRefusingOnceAsync(storage);
        var management = refused.Host.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);

        await management.ForceActivationCollection(TimeSpan.Zero);
        Assert.False(await IsActiveAsync(management, refused.Worker.Id), "the test could not make the worker grain go idle");
        (await refused.Admin.GetApiAsync($"/v1/workers/{refused.Worker.Id}")).Is(HttpStatusCode.OK);

        var posted = Assert.Single((await refused.Receiver.WaitForDeliveredAsync(d => d.Count == 1, Within)).Values);
        Assert.Equal("worker.certified", posted.Event["type"]!.GetValue<string>());
        Assert.True(
            posted.At < refused.CertifiedAt.AddSeconds(8),
            $"posted {(posted.At - refused.CertifiedAt).TotalSeconds:0.0} s after the certification: on the reminder, not on activation");
        Assert.Equal(2, refused.Outbox.Adds);
    }

    private sealed record RefusedOnce(
        WebhookReceiver Receiver, DispatchApiFactory Host, HttpClient Admin, OutboxFailingOnce Outbox, string Exam, string WebhookId, TestWorker Worker, DateTimeOffset CertifiedAt)
        : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Admin.Dispose();
            await Host.DisposeAsync();
            await Receiver.DisposeAsync();
        }
    }

    /// <summary>A worker passes a one-task exam whose project has a registration for worker.certified, and the outbox refuses the event.</summary>
    private async Task<RefusedOnce> CertifiedWithTheOutboxRefusingOnceAsync(StorageMode storage)
    {
        var receiver = await WebhookReceiver.StartAsync(Secret);
        Func<IServiceProvider, OutboxFailingOnce>? outboxOf = null;
        var host = await WebhookHosts.StartAsync(storage, postgres, testServices: services => outboxOf = OutboxFailingOnce.Install(services));
        var admin = host.CreateAdminClient();
        var exam = await CreateProjectAsync(admin, """{"exam":{"skill":"french","level":1,"passScore":1}}""");
        await ImportGoldenAsync(admin, exam, 1);
        var webhookId = await RegisterAsync(admin, exam, receiver, "certified", "worker.certified");
        var worker = await CreateWorkerAsync(host, admin);
        var lease = await ClaimAsync(worker, exam);

        var certifiedAt = DateTimeOffset.UtcNow;
        await AnswerAsync(worker, lease, correctly: true);
        var outbox = outboxOf!(host.Services);
        Assert.Equal(1, outbox.Adds);
        return new RefusedOnce(receiver, host, admin, outbox, exam, webhookId, worker, certifiedAt);
    }

    private static async Task<bool> IsActiveAsync(IManagementGrain management, string workerId) =>
        (await management.GetDetailedGrainStatistics()).Any(s => s.GrainId.Key.ToString() == workerId && s.GrainType.Contains("WorkerGrain", StringComparison.Ordinal));

    private sealed record TestWorker(string Id, HttpClient Client);

    private static async Task<string> CreateProjectAsync(HttpClient admin, string settings)
    {
        var body = JsonNode.Parse(settings)!.AsObject();
        var projectId = "hooks-" + Guid.NewGuid().ToString("N")[..8];
        body["id"] = projectId;
        body["name"] = "Hooks";
        (await admin.PostApiAsync("/v1/projects", body)).Is(HttpStatusCode.Created);
        return projectId;
    }

    private static async Task<JsonNode> ImportAsync(HttpClient admin, string projectId, params string[] ids) =>
        (await admin.PostApiAsync($"/v1/projects/{projectId}/tasks", new JsonObject
        {
            ["tasks"] = new JsonArray([.. ids.Select(id => new JsonObject { ["id"] = id, ["payload"] = id })]),
        })).Is(HttpStatusCode.OK);

    /// <summary>Golden tasks <c>g0</c>.. whose golden answer is their own id.</summary>
    private static async Task ImportGoldenAsync(HttpClient admin, string projectId, int count) =>
        (await admin.PostApiAsync($"/v1/projects/{projectId}/tasks", new JsonObject
        {
            ["tasks"] = new JsonArray([.. Enumerable.Range(0, count).Select(i => new JsonObject { ["id"] = $"g{i}", ["payload"] = i, ["goldenAnswer"] = $"g{i}" })]),
        })).Is(HttpStatusCode.OK);

    /// <summary>Registers the receiver under <c>?<paramref name="name"/></c> for the given types (all when none); returns its id.</summary>
    private static async Task<string> RegisterAsync(HttpClient admin, string projectId, WebhookReceiver receiver, string name, params string[] events) =>
        (await admin.PostApiAsync($"/v1/projects/{projectId}/webhooks", new { url = $"{receiver.Url}?{name}", secret = Secret, events }))
            .Is(HttpStatusCode.Created)["id"]!.GetValue<string>();

    private static async Task<JsonArray> LogAsync(HttpClient admin, string projectId, string webhookId) =>
        (await admin.GetApiAsync($"/v1/projects/{projectId}/webhooks/{webhookId}/deliveries")).Is(HttpStatusCode.OK)["items"]!.AsArray();

    private static async Task<TestWorker> CreateWorkerAsync(DispatchApiFactory host, HttpClient admin)
    {
        var workerId = "w-" + Guid.NewGuid().ToString("N")[..8];
        var token = (await admin.PostApiAsync("/v1/workers", new { id = workerId })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
        return new TestWorker(workerId, host.CreateClient(token));
    }

    private static async Task<(string LeaseId, string TaskId)> ClaimAsync(TestWorker worker, string projectId)
    {
        var lease = (await worker.Client.PostApiAsync($"/v1/workers/{worker.Id}/leases", new { projectId })).Is(HttpStatusCode.Created);
        return (lease["leaseId"]!.GetValue<string>(), lease["taskId"]!.GetValue<string>());
    }

    private static async Task AnswerAsync(TestWorker worker, (string LeaseId, string TaskId) lease, bool correctly) =>
        (await worker.Client.PostApiAsync($"/v1/workers/{worker.Id}/leases/{lease.LeaseId}/submit", new { result = correctly ? lease.TaskId : "wrong" }))
            .Is(HttpStatusCode.OK);
}
