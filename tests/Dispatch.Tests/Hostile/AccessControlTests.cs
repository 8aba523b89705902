using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;
using Dispatch.Tests.Work;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Sdk;

namespace Dispatch.Tests.Hostile;

/// <summary>
/// Who may do what (docs/api.md, Conventions: Auth): a requester sees and changes only its own projects, and someone
/// else's project answers exactly like one that does not exist; a worker acts only as itself; no role reaches the
/// calls of another; and no secret ever shows in a later answer or in the host's logs.
/// </summary>
public abstract class AccessControlTests : WorkTestBase
{
    /// <summary>A fresh, not yet started host of this backend, for the test that captures its logs.</summary>
    protected abstract Task<DispatchApiFactory> CreateFreshHostAsync();

    private sealed record Call(string Method, string Path, string? Body = null)
    {
        public override string ToString() => $"{Method} {Path}";
    }

    private static Task<ApiResponse> SendAsync(HttpClient client, Call call) =>
        client.SendApiAsync(new HttpMethod(call.Method), call.Path, call.Body);

    /// <summary>A project of its own requester with t-0 completed and t-1 dead-lettered.</summary>
    private async Task<(Requester Owner, string ProjectId, Worker Worker)> OwnedProjectAsync()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync("""{"maxAttempts":1,"reward":1.5}""", SmallTasks(3, "t"));
        var worker = await CreateWorkerAsync();
        var done = await ClaimLeaseAsync(worker, projectId);
        await SubmitOkAsync(worker, done);
        var failed = await ClaimLeaseAsync(worker, projectId);
        (await ReleaseAsync(worker, failed.LeaseId)).Is(HttpStatusCode.OK);
        return (owner, projectId, worker);
    }

    private static Call[] ProjectCalls(string projectId) =>
    [
        new("GET", ProjectPath(projectId)),
        new("PATCH", ProjectPath(projectId), """{"status":"closed","reward":99}"""),
        new("POST", $"{ProjectPath(projectId)}/tasks", """{"tasks":[{"id":"evil","payload":{"evil":true}}]}"""),
        new("GET", $"{ProjectPath(projectId)}/tasks"),
        new("GET", $"{ProjectPath(projectId)}/tasks?state=deadLettered"),
        new("GET", TaskPath(projectId, "t-0")),
        new("GET", TaskPath(projectId, "t-1")),
        new("POST", $"{TaskPath(projectId, "t-1")}/retry"),
        new("GET", $"{ProjectPath(projectId)}/results"),
        new("GET", $"{ProjectPath(projectId)}/results?limit=1000"),
    ];

    [Fact]
    public async Task Requester_CannotSeeOrChangeAnotherRequestersProject_AndCannotTellItExists()
    {
        var (owner, projectId, _) = await OwnedProjectAsync();
        var before = await GetProjectAsync(owner.Client, projectId);
        var intruder = await CreateRequesterAsync();
        var ghost = NewId("ghost");

        var failures = new List<string>();
        foreach (var (call, ghostCall) in ProjectCalls(projectId).Zip(ProjectCalls(ghost)))
        {
            var response = await SendAsync(intruder.Client, call);
            var ghostResponse = await SendAsync(intruder.Client, ghostCall);
            if (response.Status != HttpStatusCode.NotFound || response.ProblemType() != "not-found" || response.MediaType != "application/problem+json")
            {
                failures.Add($"someone else's project must answer 404 not-found: {response}");
            }

            if (response.Status != ghostResponse.Status || response.ProblemType() != ghostResponse.ProblemType())
            {
                failures.Add($"someone else's project answers unlike a missing one:{Environment.NewLine}   {response}{Environment.NewLine}   {ghostResponse}");
            }
        }

        var (reader, refusal) = await Work.SseReader.OpenAsync(intruder.Client, $"{ProjectPath(projectId)}/events");
        if (reader is not null)
        {
            await reader.DisposeAsync();
            failures.Add("the events of someone else's project were streamed to an intruder");
        }
        else if (refusal!.Status != HttpStatusCode.NotFound || refusal.ProblemType() != "not-found")
        {
            failures.Add($"events of someone else's project must answer 404 not-found: {refusal}");
        }

        var listed = Ids((await intruder.Client.GetApiAsync("/v1/projects")).Is(HttpStatusCode.OK)).ToList();
        if (listed.Contains(projectId))
        {
            failures.Add("GET /v1/projects of the intruder lists someone else's project");
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));

        // Nothing changed: same settings and counts, t-1 still dead-lettered, no "evil" task.
        var after = await GetProjectAsync(owner.Client, projectId);
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
        AssertCounts(after, total: 3, open: 1, completed: 1, deadLettered: 1, submissions: 1);
        Assert.Equal("deadLettered", StateOf(await GetTaskAsync(owner.Client, projectId, "t-1")));
        (await owner.Client.GetApiAsync(TaskPath(projectId, "evil"))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task AdminsProject_IsInvisibleToEveryRequester()
    {
        var projectId = await CreateProjectAsync(Admin);
        await ImportAsync(Admin, projectId, SmallTasks(2, "t"));
        var requester = await CreateRequesterAsync();

        foreach (var call in ProjectCalls(projectId))
        {
            (await SendAsync(requester.Client, call)).IsProblem(HttpStatusCode.NotFound, "not-found");
        }

        Assert.DoesNotContain(projectId, Ids((await requester.Client.GetApiAsync("/v1/projects")).Is(HttpStatusCode.OK)));
        AssertCounts(await GetProjectAsync(Admin, projectId), total: 2, open: 2);
    }

    [Fact]
    public async Task Worker_CannotActForAnotherWorker()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync("""{"overlap":2}""", SmallTasks(2, "t"));
        var victim = await CreateWorkerAsync();
        var thief = await CreateWorkerAsync();
        var lease = await ClaimLeaseAsync(victim, projectId);

        Call[] asVictim =
        [
            new("POST", LeasesPath(victim.Id), $$"""{"projectId":"{{projectId}}"}"""),
            new("POST", LeasesPath(victim.Id), "{}"),
            new("GET", LeasesPath(victim.Id)),
            new("POST", LeasePath(victim.Id, lease.LeaseId, "heartbeat"), """{"extendSeconds":86400}"""),
            new("POST", LeasePath(victim.Id, lease.LeaseId, "submit"), """{"result":"stolen"}"""),
            new("POST", LeasePath(victim.Id, lease.LeaseId, "release"), "{}"),
            new("GET", WorkerPath(victim.Id)),
            new("GET", WorkerPath(NewId("nobody"))),
            new("POST", LeasesPath(NewId("nobody")), "{}"),
        ];
        var failures = new List<string>();
        foreach (var call in asVictim)
        {
            var response = await SendAsync(thief.Client, call);
            if (response.Status != HttpStatusCode.Forbidden || response.ProblemType() != "forbidden" || response.MediaType != "application/problem+json")
            {
                failures.Add($"a worker acting as another must get 403 forbidden: {response}");
            }
        }

        // The victim's lease id under the thief's own path names no lease of the thief.
        foreach (var action in new[] { "heartbeat", "submit", "release" })
        {
            var response = await thief.Client.PostApiAsync(LeasePath(thief.Id, lease.LeaseId, action), new { result = "stolen" });
            if (!(response.Status is HttpStatusCode.NotFound or HttpStatusCode.Forbidden) || response.ProblemType() is not ("not-found" or "forbidden"))
            {
                failures.Add($"another worker's lease under one's own path must be refused (404 not-found or 403 forbidden): {response}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));

        var view = await GetTaskAsync(owner.Client, projectId, lease.TaskId);
        Assert.Equal("active", StateOf(LeaseOf(view, lease.LeaseId)));
        Assert.Empty(view["submissions"]!.AsArray());
        AssertSameInstant(lease.ExpiresAt, ApiAssert.IsUtcTimestamp(LeaseOf(view, lease.LeaseId)["expiresAt"], "expiresAt"));
        Assert.Equal(1, (await GetWorkerAsync(Admin, victim.Id))["activeLeases"]!.GetValue<int>());
        Assert.Equal(0, (await GetWorkerAsync(Admin, thief.Id))["activeLeases"]!.GetValue<int>());
        AssertCounts(await GetProjectAsync(owner.Client, projectId), total: 2, open: 2, activeLeases: 1);
    }

    /// <summary>Every call that needs the admin, plus the requester's own calls, for a worker to try.</summary>
    private static Call[] AdminAndRequesterCalls(string workerId, string projectId) =>
    [
        new("POST", "/v1/requesters", $$"""{"id":"{{NewId("sneaky")}}","name":"x"}"""),
        new("POST", "/v1/workers", $$"""{"id":"{{NewId("sneaky")}}"}"""),
        new("PUT", CertificationPath(workerId, "skill-x"), """{"level":100}"""),
        new("DELETE", CertificationPath(workerId, "skill-x")),
        new("POST", $"{WorkerPath(workerId)}/block", "{}"),
        new("POST", $"{WorkerPath(workerId)}/unblock", "{}"),
        new("GET", "/v1/projects"),
        new("POST", "/v1/projects", $$"""{"id":"{{NewId("sneaky")}}"}"""),
        .. ProjectCalls(projectId),
    ];

    [Fact]
    public async Task Worker_CannotUseRequesterOrAdminCalls_EvenOnItself()
    {
        var (owner, projectId, worker) = await OwnedProjectAsync();
        await Admin.PutApiAsync(CertificationPath(worker.Id, "skill-x"), new { level = 1 });
        var before = await GetProjectAsync(owner.Client, projectId);

        var failures = new List<string>();
        foreach (var call in AdminAndRequesterCalls(worker.Id, projectId))
        {
            var response = await SendAsync(worker.Client, call);
            if (response.Status != HttpStatusCode.Forbidden || response.ProblemType() != "forbidden" || response.MediaType != "application/problem+json")
            {
                failures.Add($"a worker token on a requester or admin call must get 403 forbidden: {response}");
            }
        }

        var (reader, refusal) = await Work.SseReader.OpenAsync(worker.Client, $"{ProjectPath(projectId)}/events");
        if (reader is not null)
        {
            await reader.DisposeAsync();
            failures.Add("a worker was streamed a project's events");
        }
        else if (refusal!.Status != HttpStatusCode.Forbidden || refusal.ProblemType() != "forbidden")
        {
            failures.Add($"a worker token on events must get 403 forbidden: {refusal}");
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        var view = await GetWorkerAsync(Admin, worker.Id);
        Assert.False(view["blocked"]!.GetValue<bool>());
        Assert.Equal(1, view["certifications"]!.AsArray().Single()!["level"]!.GetValue<int>());
        Assert.Equal(before.ToJsonString(), (await GetProjectAsync(owner.Client, projectId)).ToJsonString());
    }

    [Fact]
    public async Task Requester_CannotUseWorkerOrAdminCalls()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync("""{"overlap":1}""", SmallTasks(2, "t"));
        var worker = await CreateWorkerAsync();
        var lease = await ClaimLeaseAsync(worker, projectId);
        var newRequesterId = NewId("sneaky");
        var newWorkerId = NewId("sneaky");

        Call[] calls =
        [
            new("POST", "/v1/requesters", $$"""{"id":"{{newRequesterId}}","name":"x"}"""),
            new("POST", "/v1/workers", $$"""{"id":"{{newWorkerId}}"}"""),
            new("GET", WorkerPath(worker.Id)),
            new("PUT", CertificationPath(worker.Id, "skill-x"), """{"level":100}"""),
            new("DELETE", CertificationPath(worker.Id, "skill-x")),
            new("POST", $"{WorkerPath(worker.Id)}/block", "{}"),
            new("POST", $"{WorkerPath(worker.Id)}/unblock", "{}"),
            new("POST", LeasesPath(worker.Id), $$"""{"projectId":"{{projectId}}"}"""),
            new("GET", LeasesPath(worker.Id)),
            new("POST", LeasePath(worker.Id, lease.LeaseId, "heartbeat"), "{}"),
            new("POST", LeasePath(worker.Id, lease.LeaseId, "submit"), """{"result":"by the requester"}"""),
            new("POST", LeasePath(worker.Id, lease.LeaseId, "release"), "{}"),
            new("POST", LeasesPath(owner.Id), $$"""{"projectId":"{{projectId}}"}"""),
            new("GET", WorkerPath(owner.Id)),
        ];
        var failures = new List<string>();
        foreach (var call in calls)
        {
            var response = await SendAsync(owner.Client, call);
            if (response.Status != HttpStatusCode.Forbidden || response.ProblemType() != "forbidden" || response.MediaType != "application/problem+json")
            {
                failures.Add($"a requester key on a worker or admin call must get 403 forbidden: {response}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        Assert.Equal("active", StateOf(LeaseOf(await GetTaskAsync(owner.Client, projectId, lease.TaskId), lease.LeaseId)));
        var view = await GetWorkerAsync(Admin, worker.Id);
        Assert.False(view["blocked"]!.GetValue<bool>());
        Assert.Empty(view["certifications"]!.AsArray());
        AssertCounts(await GetProjectAsync(owner.Client, projectId), total: 2, open: 2, activeLeases: 1);

        // Neither the requester nor the worker the requester tried to create exists.
        (await Admin.PostApiAsync("/v1/requesters", new { id = newRequesterId, name = "late" })).Is(HttpStatusCode.Created);
        (await Admin.PostApiAsync("/v1/workers", new { id = newWorkerId })).Is(HttpStatusCode.Created);
    }

    // ------------------------------------------------------------------ secrets

    /// <summary>What a secrets scenario saw: the secrets in play, and every answer after the one that issued each.</summary>
    private sealed class SecretsScenario
    {
        public List<string> Secrets { get; } = [];

        public List<ApiResponse> Answers { get; } = [];

        public List<string> StreamedFrames { get; } = [];
    }

    /// <summary>
    /// Issues secrets and uses them in calls that succeed and fail, with good, wrong-role and near-miss secrets, so
    /// that any place a secret could be echoed (answers, problems, events, logs) is exercised.
    /// </summary>
    private static async Task<SecretsScenario> RunSecretsScenarioAsync(Func<string?, HttpClient> client, string adminKey)
    {
        var seen = new SecretsScenario();
        seen.Secrets.Add(adminKey);
        using var admin = client(adminKey);

        async Task<ApiResponse> Record(Task<ApiResponse> call)
        {
            var response = await call;
            seen.Answers.Add(response);
            return response;
        }

        var requesterId = NewId("sec-req");
        var requesterKey = (await admin.PostApiAsync("/v1/requesters", new { id = requesterId, name = "secret keeper" })).Is(HttpStatusCode.Created)["apiKey"]!.GetValue<string>();
        var otherKey = (await admin.PostApiAsync("/v1/requesters", new { id = NewId("sec-req"), name = "other" })).Is(HttpStatusCode.Created)["apiKey"]!.GetValue<string>();
        var workerId = NewId("sec-wrk");
        var token = (await admin.PostApiAsync("/v1/workers", new { id = workerId, displayName = "secret worker" })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
        var otherToken = (await admin.PostApiAsync("/v1/workers", new { id = NewId("sec-wrk") })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
        seen.Secrets.AddRange([requesterKey, otherKey, token, otherToken]);

        // Near misses: a real secret with one character changed, or a suffix, a prefix or the wrong role's shape.
        string[] nearMisses =
        [
            requesterKey[..^1] + (requesterKey[^1] == 'A' ? 'B' : 'A'),
            token[..^1] + (token[^1] == 'A' ? 'B' : 'A'),
            adminKey + "x",
            "x" + adminKey,
            "wk" + requesterKey[2..],
            "rq" + token[2..],
            requesterKey + " " + token,
        ];
        seen.Secrets.AddRange(nearMisses);

        using var requester = client(requesterKey);
        using var other = client(otherKey);
        using var worker = client(token);
        using var otherWorker = client(otherToken);
        var projectId = NewId("sec-prj");

        await Record(requester.PostApiAsync("/v1/projects", new { id = projectId, name = "secrets", instructions = "do not leak", leaseSeconds = 600 }));
        var (events, _) = await Work.SseReader.OpenAsync(requester, $"{ProjectPath(projectId)}/events");
        await Record(requester.PostApiAsync($"{ProjectPath(projectId)}/tasks", new { tasks = new object[] { new { id = "t-0", payload = new { n = 0 } }, new { id = "t-1", payload = new { n = 1 } }, new { id = "t-2", payload = new { n = 2 } } } }));
        var lease = await Record(worker.PostApiAsync(LeasesPath(workerId), new { projectId }));
        var leaseId = lease.Json["leaseId"]!.GetValue<string>();
        await Record(worker.GetApiAsync(LeasesPath(workerId)));
        await Record(worker.PostApiAsync(LeasePath(workerId, leaseId, "heartbeat"), new { extendSeconds = 60 }));
        await Record(worker.PostApiAsync(LeasePath(workerId, leaseId, "submit"), new { result = "fine" }));
        await Record(worker.PostApiAsync(LeasePath(workerId, leaseId, "submit"), new { result = "again" }));
        var second = await Record(worker.PostApiAsync(LeasesPath(workerId), new { projectId }));
        await Record(worker.PostApiAsync(LeasePath(workerId, second.Json["leaseId"]!.GetValue<string>(), "release"), new { reason = "nope" }));
        await Record(worker.GetApiAsync(WorkerPath(workerId)));
        await Record(admin.GetApiAsync(WorkerPath(workerId)));
        await Record(admin.PutApiAsync(CertificationPath(workerId, "skill-x"), new { level = 2 }));
        await Record(admin.PostApiAsync($"{WorkerPath(workerId)}/block", new { reason = "testing" }));
        await Record(admin.PostApiAsync($"{WorkerPath(workerId)}/unblock", new { }));
        await Record(requester.GetApiAsync(ProjectPath(projectId)));
        await Record(requester.GetApiAsync("/v1/projects"));
        await Record(requester.GetApiAsync($"{ProjectPath(projectId)}/tasks"));
        await Record(requester.GetApiAsync(TaskPath(projectId, "t-0")));
        await Record(requester.GetApiAsync($"{ProjectPath(projectId)}/results"));
        await Record(admin.GetApiAsync("/v1/projects"));

        // Refusals: wrong role, someone else's things, validation, conflicts.
        await Record(other.GetApiAsync(ProjectPath(projectId)));
        await Record(worker.GetApiAsync("/v1/projects"));
        await Record(otherWorker.GetApiAsync(WorkerPath(workerId)));
        await Record(otherWorker.PostApiAsync(LeasesPath(workerId), new { projectId }));
        await Record(requester.PostApiAsync("/v1/requesters", new { id = requesterId, name = "again" }));
        await Record(admin.PostApiAsync("/v1/requesters", new { id = requesterId, name = "again" }));
        await Record(admin.PostApiAsync("/v1/workers", new { id = workerId }));
        await Record(admin.PostApiAsync("/v1/projects", new { id = "-bad" }));
        await Record(worker.PostApiAsync(LeasePath(workerId, "NOSUCHLEASE", "submit"), new { result = token }));

        // Near-miss and garbage secrets, in the header and in odd header shapes.
        foreach (var secret in nearMisses)
        {
            using var stranger = client(secret);
            await Record(stranger.GetApiAsync("/v1/projects"));
            await Record(stranger.GetApiAsync(WorkerPath(workerId)));
            await Record(stranger.PostApiAsync(LeasesPath(workerId), new { projectId }));
        }

        foreach (var header in new[] { "Basic " + adminKey, adminKey, "Bearer  " + token + "  ", "bearer " + requesterKey + "," + token })
        {
            using var odd = client(null);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/projects");
            request.Headers.TryAddWithoutValidation("Authorization", header);
            using var response = await odd.SendAsync(request);
            seen.Answers.Add(new ApiResponse(HttpMethod.Get, "/v1/projects (Authorization: " + header[..6] + "…)", response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync()));
        }

        using (var anonymous = client(null))
        {
            await Record(anonymous.GetApiAsync("/v1/projects"));
            await Record(anonymous.GetApiAsync("/openapi/v1.json"));
            await Record(anonymous.GetApiAsync("/health/ready"));
        }

        if (events is not null)
        {
            await events.WaitForEventAsync("task.submitted", timeout: TimeSpan.FromSeconds(5));
            seen.StreamedFrames.AddRange(events.Frames.Select(f => f.ToString()));
            await events.DisposeAsync();
        }

        return seen;
    }

    [Fact]
    public async Task Secrets_NeverAppearInAnyLaterAnswerOrEvent()
    {
        var seen = await RunSecretsScenarioAsync(secret => Client(secret), Host.AdminKey);

        Assert.True(seen.Answers.Count > 40, $"only {seen.Answers.Count} answers collected");
        Assert.NotEmpty(seen.StreamedFrames);
        var leaks = (
            from secret in seen.Secrets
            from text in seen.Answers.Select(a => a.ToString()).Concat(seen.StreamedFrames)
            where text.Contains(secret, StringComparison.Ordinal)
            select $"secret {secret[..Math.Min(12, secret.Length)]}… in {text[..Math.Min(300, text.Length)]}").ToList();
        Assert.True(leaks.Count == 0, string.Join(Environment.NewLine, leaks));
    }

    [Fact]
    public async Task Secrets_NeverAppearInTheHostsLogs_EvenAtDebugLevel()
    {
        var logs = new CapturingLoggerProvider();
        await using var fresh = await CreateFreshHostAsync();
        await using var logged = fresh.WithWebHostBuilder(builder => builder.ConfigureLogging(logging =>
        {
            logging.AddProvider(logs);
            logging.SetMinimumLevel(LogLevel.Debug);
            logging.AddFilter<CapturingLoggerProvider>(category: null, LogLevel.Debug);
        }));
        logged.StartServer();

        // The delegated factory's CreateClient asks the (unstarted) parent for its server, so talk to the logged
        // host's own Kestrel address, or to its test server when it has no socket.
        var server = logged.Services.GetRequiredService<IServer>();
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        HttpClient ClientOf(string? secret)
        {
            var client = server is TestServer test
                ? new HttpClient(test.CreateHandler()) { BaseAddress = new Uri("http://localhost") }
                : new HttpClient { BaseAddress = new Uri(address ?? throw new InvalidOperationException("The logged host has no address.")) };
            client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            client.WithBearer(secret);
            return client;
        }

        var seen = await RunSecretsScenarioAsync(ClientOf, fresh.AdminKey);
        var entries = logs.Entries.ToList();

        Assert.True(entries.Count > 50, $"only {entries.Count} log entries captured; is the provider wired?");
        Assert.Contains(entries, e => e.Level == LogLevel.Debug);
        var leaks = (
            from secret in seen.Secrets
            from entry in entries
            where entry.Text.Contains(secret, StringComparison.Ordinal)
            select $"secret {secret[..Math.Min(12, secret.Length)]}… in [{entry.Level} {entry.Category}] {entry.Text[..Math.Min(400, entry.Text.Length)]}").Distinct().ToList();
        Assert.True(leaks.Count == 0, $"{leaks.Count} log entries hold a secret:{Environment.NewLine}" + string.Join(Environment.NewLine, leaks.Take(20)));
    }
}

/// <summary>An in-memory logger provider that keeps every entry: level, category, message, state values, scopes, exception.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IEnumerable<LogEntry> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    public sealed record LogEntry(LogLevel Level, string Category, string Text);

    private sealed class CapturingLogger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new System.Text.StringBuilder(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    text.Append(" | ").Append(key).Append('=').Append(value);
                }
            }

            provider._scopes.ForEachScope((scope, builder) => builder.Append(" | scope ").Append(scope), text);
            if (exception is not null)
            {
                text.Append(" | ").Append(exception);
            }

            provider._entries.Enqueue(new LogEntry(logLevel, category, text.ToString()));
        }
    }
}

/// <summary>Access control on in-memory storage.</summary>
public sealed class AccessControlTests_Memory(MemoryApiHost host) : AccessControlTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);

    protected override Task<DispatchApiFactory> CreateFreshHostAsync() => Task.FromResult(DispatchApiFactory.ForMemory());
}

/// <summary>Access control on PostgreSQL storage.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AccessControlTests_Postgres(PostgresServer postgres, PostgresApiHost host) : AccessControlTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);

    protected override async Task<DispatchApiFactory> CreateFreshHostAsync() => DispatchApiFactory.ForPostgres(await postgres.CreateDatabaseAsync());
}
