using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Http;

/// <summary>
/// The admin and requester half of docs/api.md (conventions, requesters and workers, projects and tasks), run against a
/// host per storage backend by the sealed subclasses. Tests share a host, so each uses ids of its own.
/// </summary>
public abstract class AdminAndRequesterApiTests : ApiTestBase
{
    private const int KiB = 1024;

    public static TheoryData<string> InvalidIds => new()
    {
        "-x",
        ".x",
        "_x",
        new string('a', 65),
        "has space",
        "ünïcödé",
        "日本",
        "",
        "slash/x",
        "colon:x",
        "tab\tx",
    };

    /// <summary>Invalid ids that still make a routable path segment when escaped.</summary>
    public static TheoryData<string> InvalidPathIds => new()
    {
        "-x",
        ".x",
        new string('a', 65),
        "has space",
        "ünïcödé",
        "colon:x",
    };

    // ---------------------------------------------------------------- conventions: auth

    [Theory]
    [InlineData("GET", "/v1/projects")]
    [InlineData("POST", "/v1/projects")]
    [InlineData("POST", "/v1/requesters")]
    [InlineData("POST", "/v1/workers")]
    [InlineData("GET", "/v1/workers/some-worker")]
    [InlineData("PUT", "/v1/workers/some-worker/certifications/some-skill")]
    [InlineData("POST", "/v1/workers/some-worker/block")]
    [InlineData("GET", "/v1/projects/some-project")]
    [InlineData("PATCH", "/v1/projects/some-project")]
    [InlineData("POST", "/v1/projects/some-project/tasks")]
    [InlineData("GET", "/v1/projects/some-project/tasks/some-task")]
    public async Task V1Call_WithoutBearer_Is401Unauthenticated(string method, string path)
    {
        var response = await Anonymous.SendApiAsync(new HttpMethod(method), path, method == "GET" ? null : "{}");

        response.IsProblem(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Theory]
    [InlineData("GET", "/v1/projects")]
    [InlineData("POST", "/v1/projects")]
    [InlineData("POST", "/v1/requesters")]
    [InlineData("POST", "/v1/workers")]
    [InlineData("GET", "/v1/workers/some-worker")]
    [InlineData("GET", "/v1/projects/some-project/tasks/some-task")]
    public async Task V1Call_WithUnknownBearer_Is401Unauthenticated(string method, string path)
    {
        var stranger = Client("not-a-key-" + Guid.NewGuid().ToString("N"));

        var response = await stranger.SendApiAsync(new HttpMethod(method), path, method == "GET" ? null : "{}");

        response.IsProblem(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task V1Call_WithNonBearerScheme_Is401Unauthenticated()
    {
        var client = Client(null);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Host.AdminKey);

        (await client.GetApiAsync("/v1/projects")).IsProblem(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task Requester_CreatingWorker_Is403Forbidden()
    {
        var requester = await CreateRequesterAsync();
        var workerId = NewId("wrk");

        (await requester.Client.PostApiAsync("/v1/workers", new { id = workerId })).IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await Admin.GetApiAsync(WorkerPath(workerId))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Requester_CreatingRequester_Is403Forbidden()
    {
        var requester = await CreateRequesterAsync();
        var otherId = NewId("req");

        (await requester.Client.PostApiAsync("/v1/requesters", new { id = otherId, name = "x" }))
            .IsProblem(HttpStatusCode.Forbidden, "forbidden");
        // Nothing was created: the admin can still create that id.
        (await Admin.PostApiAsync("/v1/requesters", new { id = otherId, name = "x" })).Is(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Worker_CreatingProject_Is403Forbidden()
    {
        var worker = await CreateWorkerAsync();
        var projectId = NewId("prj");

        (await worker.Client.PostApiAsync("/v1/projects", ProjectBody(projectId))).IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await Admin.GetApiAsync(ProjectPath(projectId))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Worker_ListingProjects_Is403Forbidden()
    {
        var worker = await CreateWorkerAsync();

        (await worker.Client.GetApiAsync("/v1/projects")).IsProblem(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Requester_ReadingWorker_Is403Forbidden()
    {
        var requester = await CreateRequesterAsync();
        var worker = await CreateWorkerAsync();

        (await requester.Client.GetApiAsync(WorkerPath(worker.Id))).IsProblem(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Worker_ManagingItsOwnCertificationsOrBlock_Is403Forbidden()
    {
        var worker = await CreateWorkerAsync();

        (await worker.Client.PutApiAsync(CertificationPath(worker.Id, "self-granted"), new { level = 100 }))
            .IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await worker.Client.DeleteApiAsync(CertificationPath(worker.Id, "self-granted")))
            .IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await worker.Client.PostApiAsync($"{WorkerPath(worker.Id)}/unblock", new { }))
            .IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await worker.Client.PostApiAsync($"{WorkerPath(worker.Id)}/block", new { }))
            .IsProblem(HttpStatusCode.Forbidden, "forbidden");

        var view = await GetWorkerAsync(Admin, worker.Id);
        Assert.Empty(view["certifications"]!.AsArray());
        Assert.False(view["blocked"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Worker_ReadingAnotherWorker_Is403Forbidden()
    {
        var worker = await CreateWorkerAsync();
        var other = await CreateWorkerAsync();

        (await worker.Client.GetApiAsync(WorkerPath(other.Id))).IsProblem(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Requester_UsingAnotherRequestersProject_Is404NotFoundAndChangesNothing()
    {
        var owner = await CreateRequesterAsync();
        var stranger = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, """[{"id":"t1","payload":{"a":1}}]""");

        (await stranger.Client.GetApiAsync(ProjectPath(projectId))).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await stranger.Client.GetApiAsync(TaskPath(projectId, "t1"))).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await stranger.Client.PatchApiAsync(ProjectPath(projectId), new { status = "closed", priority = 99 }))
            .IsProblem(HttpStatusCode.NotFound, "not-found");
        (await stranger.Client.PostApiAsync($"{ProjectPath(projectId)}/tasks", """{"tasks":[{"id":"t2","payload":{}}]}"""))
            .IsProblem(HttpStatusCode.NotFound, "not-found");
        Assert.DoesNotContain(projectId, Ids((await stranger.Client.GetApiAsync("/v1/projects")).Is(HttpStatusCode.OK)));

        var view = await GetProjectAsync(owner.Client, projectId);
        Assert.Equal("open", view["status"]!.GetValue<string>());
        Assert.Equal(0, view["priority"]!.GetValue<int>());
        AssertCounts(view, total: 1, open: 1);
        (await owner.Client.GetApiAsync(TaskPath(projectId, "t2"))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    // ---------------------------------------------------------------- requesters

    [Fact]
    public async Task CreateRequester_Returns201WithIdNameAndApiKey()
    {
        var id = NewId("req");

        var body = (await Admin.PostApiAsync("/v1/requesters", new { id, name = "Acme Labelling" })).Is(HttpStatusCode.Created);

        Assert.Equal(id, body["id"]!.GetValue<string>());
        Assert.Equal("Acme Labelling", body["name"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(body["apiKey"]?.GetValue<string>()), body.ToJsonString());
        Assert.NotEqual(Host.AdminKey, body["apiKey"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"id":"ID"}""")]
    [InlineData("""{"id":"ID","name":null}""")]
    [InlineData("""{"id":"ID","name":"  "}""")]
    public async Task CreateRequester_WithoutName_Is400Validation_AndStoresNothing(string body)
    {
        var id = NewId("req");

        (await Admin.PostApiAsync("/v1/requesters", body.Replace("ID", id, StringComparison.Ordinal))).IsValidationProblem("name");

        // Nothing was stored: the id is still free.
        (await Admin.PostApiAsync("/v1/requesters", new { id, name = "Named at last" })).Is(HttpStatusCode.Created);
    }

    [Fact]
    public async Task CreateRequester_SameIdAgain_Is409Conflict()
    {
        var requester = await CreateRequesterAsync();

        var again = await Admin.PostApiAsync("/v1/requesters", new { id = requester.Id, name = "Someone else" });

        again.IsProblem(HttpStatusCode.Conflict, "conflict");
        again.DoesNotContainSecret(requester.ApiKey);
        // The first key still works: the conflicting call did not replace it.
        (await requester.Client.GetApiAsync("/v1/projects")).Is(HttpStatusCode.OK);
    }

    [Fact]
    public async Task CreateRequester_KeysAreDistinct()
    {
        var first = await CreateRequesterAsync();
        var second = await CreateRequesterAsync();

        Assert.NotEqual(first.ApiKey, second.ApiKey);
    }

    [Theory]
    [MemberData(nameof(InvalidIds), MemberType = typeof(AdminAndRequesterApiTests))]
    public async Task CreateRequester_WithInvalidId_Is400Validation(string id)
    {
        (await Admin.PostApiAsync("/v1/requesters", new { id, name = "x" })).IsValidationProblem("id");
    }

    [Theory]
    [InlineData("/v1/requesters", """{"name":"no id"}""", "id")]
    [InlineData("/v1/workers", """{"displayName":"no id"}""", "id")]
    public async Task Create_WithoutRequiredMember_Is400Validation(string path, string body, string field)
    {
        (await Admin.PostApiAsync(path, body)).IsValidationProblem(field);
    }

    [Fact]
    public async Task RequesterKey_ActsAsThatRequester()
    {
        var requester = await CreateRequesterAsync();

        var projectId = await CreateProjectAsync(requester.Client);

        var list = (await requester.Client.GetApiAsync("/v1/projects")).Is(HttpStatusCode.OK);
        Assert.Equal([projectId], Ids(list));
        await GetProjectAsync(requester.Client, projectId);
    }

    [Fact]
    public async Task RequesterKey_NeverAppearsInLaterAnswers()
    {
        var requester = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(requester.Client);

        var answers = new List<ApiResponse>
        {
            await Admin.PostApiAsync("/v1/requesters", new { id = requester.Id, name = requester.Name }),
            await requester.Client.GetApiAsync("/v1/projects"),
            await requester.Client.GetApiAsync(ProjectPath(projectId)),
            await Admin.GetApiAsync("/v1/projects"),
            await Admin.GetApiAsync(ProjectPath(projectId)),
            await requester.Client.PatchApiAsync(ProjectPath(projectId), new { priority = 1 }),
            await requester.Client.PostApiAsync($"{ProjectPath(projectId)}/tasks", """{"tasks":[{"payload":{}}]}"""),
        };

        foreach (var answer in answers)
        {
            answer.DoesNotContainSecret(requester.ApiKey);
        }
    }

    // ---------------------------------------------------------------- workers

    [Fact]
    public async Task CreateWorker_Returns201WithIdAndToken()
    {
        var id = NewId("wrk");

        var body = (await Admin.PostApiAsync("/v1/workers", new { id, displayName = "Ada" })).Is(HttpStatusCode.Created);

        Assert.Equal(id, body["id"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(body["token"]?.GetValue<string>()), body.ToJsonString());
    }

    [Fact]
    public async Task CreateWorker_WithOnlyId_AppliesDefaultsInWorkerView()
    {
        var worker = await CreateWorkerAsync();

        var view = await GetWorkerAsync(Admin, worker.Id);

        Assert.Equal(worker.Id, view["id"]!.GetValue<string>());
        Assert.Equal(5, view["maxActiveLeases"]!.GetValue<int>());
        Assert.False(view["blocked"]!.GetValue<bool>());
    }

    [Fact]
    public async Task GetWorker_ReturnsTheFullWorkerView()
    {
        var id = NewId("wrk");
        await CreateWorkerAsync(id, new { id, displayName = "Grace", maxActiveLeases = 7 });

        var view = (await GetWorkerAsync(Admin, id)).AsObject();

        Assert.Equal(id, view["id"]!.GetValue<string>());
        Assert.Equal("Grace", view["displayName"]!.GetValue<string>());
        Assert.Equal(7, view["maxActiveLeases"]!.GetValue<int>());
        Assert.False(view["blocked"]!.GetValue<bool>());
        Assert.Empty(view["certifications"]!.AsArray());
        Assert.Equal(JsonValueKind.Number, view["activeLeases"]!.GetValueKind());
        Assert.Equal(0, view["activeLeases"]!.GetValue<int>());
        var stats = view["stats"]!.AsObject();
        Assert.Equal(0, stats["submitted"]!.GetValue<int>());
        Assert.Equal(0, stats["goldenSeen"]!.GetValue<int>());
        Assert.Equal(0, stats["goldenCorrect"]!.GetValue<int>());
        Assert.True(stats.ContainsKey("accuracy"), $"stats must carry accuracy (null before any golden answer): {view.ToJsonString()}");
        Assert.Null(stats["accuracy"]);
        Assert.Equal(0m, view["earnings"]!["total"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task CreateWorker_SameIdAgain_Is409Conflict()
    {
        var worker = await CreateWorkerAsync();

        var again = await Admin.PostApiAsync("/v1/workers", new { id = worker.Id, maxActiveLeases = 9 });

        again.IsProblem(HttpStatusCode.Conflict, "conflict");
        again.DoesNotContainSecret(worker.Token);
        var view = await GetWorkerAsync(worker.Client, worker.Id);
        Assert.Equal(5, view["maxActiveLeases"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    [InlineData(-1)]
    public async Task CreateWorker_WithMaxActiveLeasesOutOfRange_Is400AndStoresNothing(int maxActiveLeases)
    {
        var id = NewId("wrk");

        (await Admin.PostApiAsync("/v1/workers", new { id, maxActiveLeases })).IsValidationProblem("maxActiveLeases");

        (await Admin.GetApiAsync(WorkerPath(id))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    public async Task CreateWorker_WithMaxActiveLeasesAtBounds_IsAccepted(int maxActiveLeases)
    {
        var id = NewId("wrk");

        await CreateWorkerAsync(id, new { id, maxActiveLeases });

        Assert.Equal(maxActiveLeases, (await GetWorkerAsync(Admin, id))["maxActiveLeases"]!.GetValue<int>());
    }

    [Theory]
    [MemberData(nameof(InvalidIds), MemberType = typeof(AdminAndRequesterApiTests))]
    public async Task CreateWorker_WithInvalidId_Is400Validation(string id)
    {
        (await Admin.PostApiAsync("/v1/workers", new { id })).IsValidationProblem("id");
    }

    [Fact]
    public async Task GetWorker_AsAdminAndAsItself_Returns200()
    {
        var worker = await CreateWorkerAsync();

        Assert.Equal(worker.Id, (await GetWorkerAsync(Admin, worker.Id))["id"]!.GetValue<string>());
        Assert.Equal(worker.Id, (await GetWorkerAsync(worker.Client, worker.Id))["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetWorker_Unknown_Is404NotFound()
    {
        (await Admin.GetApiAsync(WorkerPath(NewId("ghost")))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task WorkerToken_NeverAppearsInLaterAnswers()
    {
        var worker = await CreateWorkerAsync();

        var answers = new List<ApiResponse>
        {
            await Admin.PostApiAsync("/v1/workers", new { id = worker.Id }),
            await Admin.GetApiAsync(WorkerPath(worker.Id)),
            await worker.Client.GetApiAsync(WorkerPath(worker.Id)),
            await Admin.PutApiAsync(CertificationPath(worker.Id, "skill-a"), new { level = 3 }),
            await Admin.PostApiAsync($"{WorkerPath(worker.Id)}/block", new { reason = "test" }),
            await Admin.PostApiAsync($"{WorkerPath(worker.Id)}/unblock", new { }),
        };

        foreach (var answer in answers)
        {
            answer.DoesNotContainSecret(worker.Token);
        }
    }

    // ---------------------------------------------------------------- certifications

    [Fact]
    public async Task PutCertification_ReturnsWorkerViewWithAdminCertification()
    {
        var worker = await CreateWorkerAsync();
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);

        var view = (await Admin.PutApiAsync(CertificationPath(worker.Id, "image-labeling"), new { level = 2 })).Is(HttpStatusCode.OK);

        Assert.Equal(worker.Id, view["id"]!.GetValue<string>());
        var certification = Assert.Single(view["certifications"]!.AsArray())!;
        Assert.Equal("image-labeling", certification["skill"]!.GetValue<string>());
        Assert.Equal(2, certification["level"]!.GetValue<int>());
        Assert.Equal("admin", certification["source"]!.GetValue<string>());
        Assert.False(certification["suspended"]!.GetValue<bool>());
        var grantedAt = ApiAssert.IsUtcTimestamp(certification["grantedAt"], "grantedAt");
        Assert.InRange(grantedAt, before, DateTimeOffset.UtcNow.AddMinutes(1));

        // The grant is stored, not only echoed.
        var stored = Assert.Single((await GetWorkerAsync(worker.Client, worker.Id))["certifications"]!.AsArray())!;
        Assert.Equal(2, stored["level"]!.GetValue<int>());
    }

    [Fact]
    public async Task PutCertification_Again_UpdatesTheLevel()
    {
        var worker = await CreateWorkerAsync();
        await Admin.PutApiAsync(CertificationPath(worker.Id, "audio"), new { level = 10 });
        await Admin.PutApiAsync(CertificationPath(worker.Id, "text"), new { level = 1 });

        var view = (await Admin.PutApiAsync(CertificationPath(worker.Id, "audio"), new { level = 55 })).Is(HttpStatusCode.OK);

        var certifications = view["certifications"]!.AsArray();
        Assert.Equal(2, certifications.Count);
        var audio = Assert.Single(certifications, c => c!["skill"]!.GetValue<string>() == "audio")!;
        Assert.Equal(55, audio["level"]!.GetValue<int>());
        Assert.Equal("admin", audio["source"]!.GetValue<string>());
        var stored = (await GetWorkerAsync(Admin, worker.Id))["certifications"]!.AsArray();
        Assert.Equal(55, Assert.Single(stored, c => c!["skill"]!.GetValue<string>() == "audio")!["level"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public async Task PutCertification_WithLevelAtBounds_IsAccepted(int level)
    {
        var worker = await CreateWorkerAsync();

        var view = (await Admin.PutApiAsync(CertificationPath(worker.Id, "bounds"), new { level })).Is(HttpStatusCode.OK);

        Assert.Equal(level, Assert.Single(view["certifications"]!.AsArray())!["level"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{"level":0}""")]
    [InlineData("""{"level":101}""")]
    [InlineData("""{"level":-3}""")]
    [InlineData("""{}""")]
    public async Task PutCertification_WithLevelOutOfRange_Is400AndStoresNothing(string body)
    {
        var worker = await CreateWorkerAsync();

        (await Admin.PutApiAsync(CertificationPath(worker.Id, "bad-level"), body)).IsValidationProblem("level");

        Assert.Empty((await GetWorkerAsync(Admin, worker.Id))["certifications"]!.AsArray());
    }

    [Theory]
    [MemberData(nameof(InvalidPathIds), MemberType = typeof(AdminAndRequesterApiTests))]
    public async Task PutCertification_WithInvalidSkill_Is400AndStoresNothing(string skill)
    {
        var worker = await CreateWorkerAsync();

        (await Admin.PutApiAsync(CertificationPath(worker.Id, skill), new { level = 3 })).IsValidationProblem();

        Assert.Empty((await GetWorkerAsync(Admin, worker.Id))["certifications"]!.AsArray());
    }

    [Fact]
    public async Task PutCertification_ForUnknownWorker_Is404NotFound()
    {
        (await Admin.PutApiAsync(CertificationPath(NewId("ghost"), "skill"), new { level = 3 }))
            .IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task DeleteCertification_Returns204AndRemovesIt()
    {
        var worker = await CreateWorkerAsync();
        await Admin.PutApiAsync(CertificationPath(worker.Id, "keep"), new { level = 4 });
        await Admin.PutApiAsync(CertificationPath(worker.Id, "drop"), new { level = 4 });

        (await Admin.DeleteApiAsync(CertificationPath(worker.Id, "drop"))).IsEmpty(HttpStatusCode.NoContent);

        var remaining = (await GetWorkerAsync(Admin, worker.Id))["certifications"]!.AsArray();
        Assert.Equal(["keep"], remaining.Select(c => c!["skill"]!.GetValue<string>()));
    }

    // ---------------------------------------------------------------- block / unblock

    [Fact]
    public async Task BlockThenUnblock_IsReflectedInWorkerView()
    {
        var worker = await CreateWorkerAsync();

        var blocked = (await Admin.PostApiAsync($"{WorkerPath(worker.Id)}/block", new { reason = "spam" })).Is(HttpStatusCode.OK);
        Assert.Equal(worker.Id, blocked["id"]!.GetValue<string>());
        Assert.True(blocked["blocked"]!.GetValue<bool>());
        Assert.True((await GetWorkerAsync(worker.Client, worker.Id))["blocked"]!.GetValue<bool>());

        var unblocked = (await Admin.PostApiAsync($"{WorkerPath(worker.Id)}/unblock", new { })).Is(HttpStatusCode.OK);
        Assert.False(unblocked["blocked"]!.GetValue<bool>());
        Assert.False((await GetWorkerAsync(Admin, worker.Id))["blocked"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Block_UnknownWorker_Is404NotFound()
    {
        (await Admin.PostApiAsync($"{WorkerPath(NewId("ghost"))}/block", new { })).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    // ---------------------------------------------------------------- ids

    [Fact]
    public async Task Ids_Of64CharactersWithDotsDashesAndUnderscores_AreAccepted()
    {
        var requesterId = NewIdOfLength(64, "R");
        var workerId = NewIdOfLength(64, "W");
        var projectId = NewIdOfLength(64, "P");
        var taskId = NewIdOfLength(64, "T");
        var skill = NewIdOfLength(64, "s");

        await CreateRequesterAsync(requesterId);
        await CreateWorkerAsync(workerId);
        var certified = (await Admin.PutApiAsync(CertificationPath(workerId, skill), new { level = 1 })).Is(HttpStatusCode.OK);
        Assert.Equal(skill, Assert.Single(certified["certifications"]!.AsArray())!["skill"]!.GetValue<string>());
        var project = await CreateProjectAsync(Admin, With(ProjectBody(projectId), $$"""{"requirements":[{"skill":"{{skill}}","minLevel":1}]}"""));
        Assert.Equal(projectId, project["id"]!.GetValue<string>());
        var import = await ImportAsync(Admin, projectId, $$$"""[{"id":"{{{taskId}}}","payload":{}}]""");
        Assert.Equal([taskId], import["ids"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal(taskId, (await Admin.GetApiAsync(TaskPath(projectId, taskId))).Is(HttpStatusCode.OK)["id"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(InvalidIds), MemberType = typeof(AdminAndRequesterApiTests))]
    public async Task CreateProject_WithInvalidId_Is400Validation(string id)
    {
        (await Admin.PostApiAsync("/v1/projects", ProjectBody(id))).IsValidationProblem("id");
    }

    [Theory]
    [MemberData(nameof(InvalidIds), MemberType = typeof(AdminAndRequesterApiTests))]
    public async Task CreateProject_WithInvalidRequirementSkill_Is400AndStoresNothing(string skill)
    {
        var id = NewId("prj");
        var body = ProjectBody(id);
        body["requirements"] = new JsonArray(new JsonObject { ["skill"] = skill, ["minLevel"] = 1 });

        (await Admin.PostApiAsync("/v1/projects", body)).IsValidationProblem("requirements");

        (await Admin.GetApiAsync(ProjectPath(id))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [MemberData(nameof(InvalidIds), MemberType = typeof(AdminAndRequesterApiTests))]
    public async Task Import_WithInvalidTaskId_Is400AndStoresNothing(string taskId)
    {
        var projectId = await CreateProjectAsync(Admin);
        var tasks = new JsonArray(
            new JsonObject { ["id"] = "fine", ["payload"] = new JsonObject() },
            new JsonObject { ["id"] = taskId, ["payload"] = new JsonObject() });

        (await Admin.PostApiAsync($"{ProjectPath(projectId)}/tasks", new JsonObject { ["tasks"] = tasks })).IsValidationProblem();

        (await Admin.GetApiAsync(TaskPath(projectId, "fine"))).IsProblem(HttpStatusCode.NotFound, "not-found");
        await AssertCountsAsync(Admin, projectId, total: 0, open: 0);
    }

    // ---------------------------------------------------------------- projects

    [Fact]
    public async Task CreateProject_WithOnlyIdAndName_AppliesDefaults()
    {
        var requester = await CreateRequesterAsync();
        var id = NewId("prj");

        var view = await CreateProjectAsync(requester.Client, ProjectBody(id));

        Assert.Equal(id, view["id"]!.GetValue<string>());
        Assert.Equal("Project " + id, view["name"]!.GetValue<string>());
        Assert.Equal(1, view["overlap"]!.GetValue<int>());
        Assert.Equal(300, view["leaseSeconds"]!.GetValue<int>());
        Assert.Equal(10, view["maxAttempts"]!.GetValue<int>());
        Assert.Equal(0m, view["reward"]!.GetValue<decimal>());
        Assert.Equal(0, view["priority"]!.GetValue<int>());
        Assert.Equal("open", view["status"]!.GetValue<string>());
        Assert.Empty(view["requirements"]?.AsArray() ?? []);
        AssertCounts(view, total: 0, open: 0);
    }

    [Fact]
    public async Task CreateProject_WithEverySetting_EchoesThemInView()
    {
        var requester = await CreateRequesterAsync();
        var id = NewId("prj");
        var body = With(ProjectBody(id), """
            {
              "name": "Cat or fur ball?",
              "instructions": "Pick the right label.",
              "labelConfig": "<View><Image name=\"img\" value=\"$image\"/></View>",
              "requirements": [ { "skill": "image-labeling", "minLevel": 2 } ],
              "overlap": 3, "leaseSeconds": 120, "maxAttempts": 4, "reward": 0.05, "priority": -2,
              "quality": { "minGolden": 5, "minAccuracy": 0.8 },
              "exam": null
            }
            """);

        var created = await CreateProjectAsync(requester.Client, body);
        var fetched = await GetProjectAsync(requester.Client, id);

        foreach (var view in new[] { created, fetched })
        {
            Assert.Equal(id, view["id"]!.GetValue<string>());
            Assert.Equal("Cat or fur ball?", view["name"]!.GetValue<string>());
            Assert.Equal("Pick the right label.", view["instructions"]!.GetValue<string>());
            Assert.Equal("<View><Image name=\"img\" value=\"$image\"/></View>", view["labelConfig"]!.GetValue<string>());
            var requirement = Assert.Single(view["requirements"]!.AsArray())!;
            Assert.Equal("image-labeling", requirement["skill"]!.GetValue<string>());
            Assert.Equal(2, requirement["minLevel"]!.GetValue<int>());
            Assert.Equal(3, view["overlap"]!.GetValue<int>());
            Assert.Equal(120, view["leaseSeconds"]!.GetValue<int>());
            Assert.Equal(4, view["maxAttempts"]!.GetValue<int>());
            Assert.Equal(0.05m, view["reward"]!.GetValue<decimal>());
            Assert.Equal(-2, view["priority"]!.GetValue<int>());
            Assert.Equal(5, view["quality"]!["minGolden"]!.GetValue<int>());
            Assert.Equal(0.8, view["quality"]!["minAccuracy"]!.GetValue<double>(), 10);
            Assert.Null(view["exam"]);
            Assert.Equal("open", view["status"]!.GetValue<string>());
            AssertCounts(view, total: 0, open: 0);
        }
    }

    [Fact]
    public async Task CreateProject_WithExam_EchoesExam()
    {
        var id = NewId("prj");
        var body = With(ProjectBody(id), """{"exam":{"skill":"sentiment","level":3,"passScore":0.75}}""");

        var view = await CreateProjectAsync(Admin, body);

        Assert.Equal("sentiment", view["exam"]!["skill"]!.GetValue<string>());
        Assert.Equal(3, view["exam"]!["level"]!.GetValue<int>());
        Assert.Equal(0.75, view["exam"]!["passScore"]!.GetValue<double>(), 10);
    }

    [Theory]
    [InlineData("overlap", """{"overlap":0}""")]
    [InlineData("overlap", """{"overlap":101}""")]
    [InlineData("overlap", """{"overlap":-1}""")]
    [InlineData("leaseSeconds", """{"leaseSeconds":0}""")]
    [InlineData("leaseSeconds", """{"leaseSeconds":86401}""")]
    [InlineData("maxAttempts", """{"maxAttempts":0}""")]
    [InlineData("maxAttempts", """{"maxAttempts":1001}""")]
    [InlineData("reward", """{"reward":-0.01}""")]
    [InlineData("reward", """{"reward":1000000.0001}""")]
    [InlineData("reward", """{"reward":79228162514264337593543950335}""")]
    [InlineData("reward", """{"reward":0.00001}""")]
    [InlineData("requirements", """{"requirements":[{"skill":"image-labeling","minLevel":0}]}""")]
    [InlineData("requirements", """{"requirements":[{"skill":"image-labeling","minLevel":101}]}""")]
    [InlineData("requirements", """{"requirements":[{"minLevel":2}]}""")]
    [InlineData("quality", """{"quality":{"minGolden":-1,"minAccuracy":0.8}}""")]
    [InlineData("quality", """{"quality":{"minGolden":5,"minAccuracy":-0.1}}""")]
    [InlineData("quality", """{"quality":{"minGolden":5,"minAccuracy":1.5}}""")]
    [InlineData("exam", """{"exam":{"skill":"sentiment","level":3,"passScore":-0.1}}""")]
    [InlineData("exam", """{"exam":{"skill":"sentiment","level":3,"passScore":1.01}}""")]
    [InlineData("exam", """{"exam":{"skill":"sentiment","level":0,"passScore":0.5}}""")]
    [InlineData("exam", """{"exam":{"skill":"sentiment","level":101,"passScore":0.5}}""")]
    [InlineData("exam", """{"exam":{"skill":"-bad","level":3,"passScore":0.5}}""")]
    public async Task CreateProject_WithSettingOutOfRange_Is400AndStoresNothing(string field, string members)
    {
        var id = NewId("prj");

        (await Admin.PostApiAsync("/v1/projects", With(ProjectBody(id), members))).IsValidationProblem(field);

        (await Admin.GetApiAsync(ProjectPath(id))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData("""{"overlap":100,"leaseSeconds":86400,"maxAttempts":1000,"reward":0}""")]
    [InlineData("""{"overlap":1,"leaseSeconds":1,"maxAttempts":1,"reward":1000000}""")]
    [InlineData("""{"reward":0.0001}""")]
    [InlineData("""{"reward":0.12340}""")]
    [InlineData("""{"requirements":[{"skill":"a","minLevel":1},{"skill":"b","minLevel":100}]}""")]
    [InlineData("""{"exam":{"skill":"sentiment","level":100,"passScore":0}}""")]
    [InlineData("""{"exam":{"skill":"sentiment","level":1,"passScore":1}}""")]
    [InlineData("""{"quality":{"minGolden":1,"minAccuracy":0}}""")]
    [InlineData("""{"quality":{"minGolden":1,"minAccuracy":1}}""")]
    public async Task CreateProject_WithSettingsAtBounds_IsAccepted(string members)
    {
        var id = NewId("prj");

        var view = await CreateProjectAsync(Admin, With(ProjectBody(id), members));

        foreach (var (key, value) in JsonNode.Parse(members)!.AsObject())
        {
            AssertJsonSubset(value, view[key], key);
        }
    }

    [Theory]
    [InlineData("instructions")]
    [InlineData("labelConfig")]
    public async Task CreateProject_WithTextOver64KiB_Is400AndStoresNothing(string field)
    {
        var id = NewId("prj");
        var body = ProjectBody(id);
        body[field] = new string('x', (64 * KiB) + 1);

        (await Admin.PostApiAsync("/v1/projects", body)).IsValidationProblem(field);

        (await Admin.GetApiAsync(ProjectPath(id))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData("instructions")]
    [InlineData("labelConfig")]
    public async Task CreateProject_WithTextOfExactly64KiB_IsAccepted(string field)
    {
        var id = NewId("prj");
        var body = ProjectBody(id);
        var text = new string('x', 64 * KiB);
        body[field] = text;

        var view = await CreateProjectAsync(Admin, body);

        Assert.Equal(text, view[field]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"name":"no id"}""")]
    [InlineData("""{"id":"wrong-type","name":"x","overlap":"three"}""")]
    [InlineData("""{"id":"wrong-type","name":"x","requirements":{"skill":"a"}}""")]
    [InlineData("""{"id":12345,"name":"x"}""")]
    public async Task CreateProject_WithMissingIdOrWrongJsonTypes_Is400Validation(string body)
    {
        (await Admin.PostApiAsync("/v1/projects", body)).IsProblem(HttpStatusCode.BadRequest, "validation");
    }

    [Theory]
    [InlineData("/v1/projects")]
    [InlineData("/v1/requesters")]
    [InlineData("/v1/workers")]
    public async Task Post_WithMalformedJson_Is400Validation(string path)
    {
        (await Admin.PostApiAsync(path, """{"id": "x", """)).IsProblem(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task CreateProject_SameIdAgain_Is409Conflict()
    {
        var requester = await CreateRequesterAsync();
        var id = await CreateProjectAsync(requester.Client, """{"overlap":2}""");

        (await requester.Client.PostApiAsync("/v1/projects", With(ProjectBody(id), """{"overlap":7}""")))
            .IsProblem(HttpStatusCode.Conflict, "conflict");

        Assert.Equal(2, (await GetProjectAsync(requester.Client, id))["overlap"]!.GetValue<int>());
    }

    [Fact]
    public async Task AdminProject_IsNotVisibleToRequesters()
    {
        var requester = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(Admin);

        (await requester.Client.GetApiAsync(ProjectPath(projectId))).IsProblem(HttpStatusCode.NotFound, "not-found");
        Assert.DoesNotContain(projectId, Ids((await requester.Client.GetApiAsync("/v1/projects")).Is(HttpStatusCode.OK)));
        Assert.Contains(projectId, Ids((await Admin.GetApiAsync("/v1/projects")).Is(HttpStatusCode.OK)));
    }

    [Fact]
    public async Task ListProjects_ShowsOnlyTheCallersOwn_AndAdminSeesAll()
    {
        var alice = await CreateRequesterAsync();
        var bob = await CreateRequesterAsync();
        var alice1 = await CreateProjectAsync(alice.Client);
        var alice2 = await CreateProjectAsync(alice.Client);
        var bob1 = await CreateProjectAsync(bob.Client);
        var admin1 = await CreateProjectAsync(Admin);

        var aliceList = (await alice.Client.GetApiAsync("/v1/projects")).Is(HttpStatusCode.OK);
        var bobList = (await bob.Client.GetApiAsync("/v1/projects")).Is(HttpStatusCode.OK);
        var adminList = (await Admin.GetApiAsync("/v1/projects")).Is(HttpStatusCode.OK);

        Assert.Equal(new[] { alice1, alice2 }.Order(), Ids(aliceList).Order());
        Assert.Equal([bob1], Ids(bobList));
        Assert.Superset(new HashSet<string> { alice1, alice2, bob1, admin1 }, Ids(adminList).ToHashSet());
        var aliceView = Assert.Single(aliceList["items"]!.AsArray(), p => p!["id"]!.GetValue<string>() == alice1)!;
        Assert.Equal("open", aliceView["status"]!.GetValue<string>());
        AssertCounts(aliceView, total: 0, open: 0);
    }

    [Fact]
    public async Task Admin_CanReadAndChangeARequestersProject()
    {
        var requester = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(requester.Client);

        await GetProjectAsync(Admin, projectId);
        (await Admin.PatchApiAsync(ProjectPath(projectId), new { priority = 9 })).Is(HttpStatusCode.OK);
        await ImportAsync(Admin, projectId, SmallTasks(2));

        var view = await GetProjectAsync(requester.Client, projectId);
        Assert.Equal(9, view["priority"]!.GetValue<int>());
        AssertCounts(view, total: 2, open: 2);
    }

    [Fact]
    public async Task GetProject_Unknown_Is404NotFound()
    {
        (await Admin.GetApiAsync(ProjectPath(NewId("ghost")))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    // ---------------------------------------------------------------- PATCH

    [Fact]
    public async Task PatchStatus_OpenPausedOpenClosed_IsReflectedInView()
    {
        var requester = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(requester.Client);

        foreach (var status in new[] { "paused", "open", "closed" })
        {
            var view = (await requester.Client.PatchApiAsync(ProjectPath(projectId), new { status })).Is(HttpStatusCode.OK);
            Assert.Equal(status, view["status"]!.GetValue<string>());
            Assert.Equal(status, (await GetProjectAsync(requester.Client, projectId))["status"]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData("open")]
    [InlineData("paused")]
    public async Task PatchStatus_OfClosedProject_Is409ConflictAndStaysClosed(string status)
    {
        var projectId = await CreateProjectAsync(Admin);
        (await Admin.PatchApiAsync(ProjectPath(projectId), new { status = "closed" })).Is(HttpStatusCode.OK);

        (await Admin.PatchApiAsync(ProjectPath(projectId), new { status })).IsProblem(HttpStatusCode.Conflict, "conflict");

        Assert.Equal("closed", (await GetProjectAsync(Admin, projectId))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task PatchSettings_AreReflectedInView()
    {
        var requester = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(requester.Client, """{"overlap":2}""");

        var patched = (await requester.Client.PatchApiAsync(
            ProjectPath(projectId),
            new { priority = -7, reward = 1.25m, leaseSeconds = 60, maxAttempts = 3 })).Is(HttpStatusCode.OK);
        var fetched = await GetProjectAsync(requester.Client, projectId);

        foreach (var view in new[] { patched, fetched })
        {
            Assert.Equal(-7, view["priority"]!.GetValue<int>());
            Assert.Equal(1.25m, view["reward"]!.GetValue<decimal>());
            Assert.Equal(60, view["leaseSeconds"]!.GetValue<int>());
            Assert.Equal(3, view["maxAttempts"]!.GetValue<int>());
            Assert.Equal(2, view["overlap"]!.GetValue<int>());
            Assert.Equal("open", view["status"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task PatchOneSetting_LeavesTheOthersAlone()
    {
        var projectId = await CreateProjectAsync(Admin, """{"priority":4,"reward":2,"leaseSeconds":30,"maxAttempts":6}""");

        var view = (await Admin.PatchApiAsync(ProjectPath(projectId), new { reward = 3 })).Is(HttpStatusCode.OK);

        Assert.Equal(4, view["priority"]!.GetValue<int>());
        Assert.Equal(3m, view["reward"]!.GetValue<decimal>());
        Assert.Equal(30, view["leaseSeconds"]!.GetValue<int>());
        Assert.Equal(6, view["maxAttempts"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("leaseSeconds", """{"leaseSeconds":0}""")]
    [InlineData("leaseSeconds", """{"leaseSeconds":86401}""")]
    [InlineData("maxAttempts", """{"maxAttempts":0}""")]
    [InlineData("maxAttempts", """{"maxAttempts":1001}""")]
    [InlineData("reward", """{"reward":-1}""")]
    [InlineData("reward", """{"reward":1000001}""")]
    [InlineData("reward", """{"reward":1.00005}""")]
    [InlineData("status", """{"status":"archived"}""")]
    [InlineData("leaseSeconds", """{"priority":5,"leaseSeconds":0}""")]
    public async Task Patch_WithInvalidValue_Is400AndChangesNothing(string field, string body)
    {
        var projectId = await CreateProjectAsync(Admin);

        var response = await Admin.PatchApiAsync(ProjectPath(projectId), body);

        if (field == "status")
        {
            // An unknown enum value may fail at JSON binding, before any field-level validation.
            response.IsProblem(HttpStatusCode.BadRequest, "validation");
        }
        else
        {
            response.IsValidationProblem(field);
        }

        var view = await GetProjectAsync(Admin, projectId);
        Assert.Equal("open", view["status"]!.GetValue<string>());
        Assert.Equal(0, view["priority"]!.GetValue<int>());
        Assert.Equal(300, view["leaseSeconds"]!.GetValue<int>());
        Assert.Equal(10, view["maxAttempts"]!.GetValue<int>());
        Assert.Equal(0m, view["reward"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Patch_UnknownProject_Is404NotFound()
    {
        (await Admin.PatchApiAsync(ProjectPath(NewId("ghost")), new { priority = 1 })).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    // ---------------------------------------------------------------- import

    [Fact]
    public async Task Import_TasksWithoutIds_GetGeneratedIdsInRequestOrder()
    {
        var requester = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(requester.Client);

        var answer = await ImportAsync(requester.Client, projectId, """
            [ {"payload":{"n":0}}, {"id":"chosen","payload":{"n":1}}, {"payload":{"n":2}}, {"payload":{"n":3}} ]
            """);

        Assert.Equal(4, answer["created"]!.GetValue<int>());
        Assert.Equal(0, answer["existing"]!.GetValue<int>());
        var ids = answer["ids"]!.AsArray().Select(i => i!.GetValue<string>()).ToList();
        Assert.Equal(4, ids.Count);
        Assert.Equal("chosen", ids[1]);
        foreach (var generated in new[] { ids[0], ids[2], ids[3] })
        {
            Assert.Matches(GeneratedIdPattern(), generated);
        }

        Assert.Equal(4, ids.Distinct().Count());
        for (var n = 0; n < ids.Count; n++)
        {
            var task = (await requester.Client.GetApiAsync(TaskPath(projectId, ids[n]))).Is(HttpStatusCode.OK);
            Assert.Equal(ids[n], task["id"]!.GetValue<string>());
            Assert.Equal(n, task["payload"]!["n"]!.GetValue<int>());
        }

        await AssertCountsAsync(requester.Client, projectId, total: 4, open: 4);
    }

    [Fact]
    public async Task Import_SameIdAndPayloadAgain_CountsAsExisting()
    {
        var projectId = await CreateProjectAsync(Admin);
        await ImportAsync(Admin, projectId, """[{"id":"a","payload":{"x":[1,2]}},{"id":"b","payload":"text"}]""");

        var again = await ImportAsync(Admin, projectId, """[{"id":"b","payload":"text"},{"id":"c","payload":[]},{"id":"a","payload":{"x":[1,2]}}]""");

        Assert.Equal(1, again["created"]!.GetValue<int>());
        Assert.Equal(2, again["existing"]!.GetValue<int>());
        Assert.Equal(["b", "c", "a"], again["ids"]!.AsArray().Select(i => i!.GetValue<string>()));
        await AssertCountsAsync(Admin, projectId, total: 3, open: 3);
    }

    [Fact]
    public async Task Import_SameIdWithPayloadKeysReorderedAndRespaced_CountsAsExisting_AndKeepsTheStoredPayload()
    {
        var projectId = await CreateProjectAsync(Admin);
        await ImportAsync(Admin, projectId, """[{"id":"a","payload":{"x":1,"y":{"p":[1,2],"q":"s"}}}]""");

        var again = await ImportAsync(Admin, projectId, """[{"id":"n","payload":0},{"id":"a","payload":{ "y" : {"q":"s", "p":[1, 2]}, "x":1 }}]""");

        Assert.Equal(1, again["created"]!.GetValue<int>());
        Assert.Equal(1, again["existing"]!.GetValue<int>());
        var a = (await Admin.GetApiAsync(TaskPath(projectId, "a"))).Is(HttpStatusCode.OK);
        Assert.Equal("""{"x":1,"y":{"p":[1,2],"q":"s"}}""", a["payload"]!.ToJsonString());
        await AssertCountsAsync(Admin, projectId, total: 2, open: 2);
    }

    [Fact]
    public async Task Import_WithConflictingPayload_StoresNothing()
    {
        var requester = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(requester.Client);
        await ImportAsync(requester.Client, projectId, """[{"id":"t1","payload":{"a":1}}]""");

        var conflict = await requester.Client.PostApiAsync(
            $"{ProjectPath(projectId)}/tasks",
            """{"tasks":[{"id":"t2","payload":{"b":2}},{"payload":{"c":3}},{"id":"t1","payload":{"a":2}}]}""");

        conflict.IsProblem(HttpStatusCode.Conflict, "conflict");
        (await requester.Client.GetApiAsync(TaskPath(projectId, "t2"))).IsProblem(HttpStatusCode.NotFound, "not-found");
        var t1 = (await requester.Client.GetApiAsync(TaskPath(projectId, "t1"))).Is(HttpStatusCode.OK);
        Assert.Equal(1, t1["payload"]!["a"]!.GetValue<int>());
        await AssertCountsAsync(requester.Client, projectId, total: 1, open: 1);
    }

    [Fact]
    public async Task Import_DuplicateIdWithinOneCallWithDifferentPayloads_IsRefusedAndStoresNothing()
    {
        var projectId = await CreateProjectAsync(Admin);

        var response = await Admin.PostApiAsync(
            $"{ProjectPath(projectId)}/tasks",
            """{"tasks":[{"id":"other","payload":0},{"id":"dup","payload":1},{"id":"dup","payload":2}]}""");

        Assert.True(
            response.Status is HttpStatusCode.Conflict or HttpStatusCode.BadRequest,
            $"Expected 409 conflict or 400 validation, got: {response}");
        response.IsProblem(response.Status, response.Status == HttpStatusCode.Conflict ? "conflict" : "validation");
        (await Admin.GetApiAsync(TaskPath(projectId, "dup"))).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await Admin.GetApiAsync(TaskPath(projectId, "other"))).IsProblem(HttpStatusCode.NotFound, "not-found");
        await AssertCountsAsync(Admin, projectId, total: 0, open: 0);
    }

    [Fact]
    public async Task Import_PayloadOver64KiB_Is400AndStoresNothing()
    {
        var projectId = await CreateProjectAsync(Admin);
        var big = new string('p', 70 * KiB);

        var response = await Admin.PostApiAsync(
            $"{ProjectPath(projectId)}/tasks",
            $$$"""{"tasks":[{"id":"small","payload":{"ok":true}},{"id":"big","payload":{"text":"{{{big}}}"}}]}""");

        response.IsValidationProblem();
        (await Admin.GetApiAsync(TaskPath(projectId, "small"))).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await Admin.GetApiAsync(TaskPath(projectId, "big"))).IsProblem(HttpStatusCode.NotFound, "not-found");
        await AssertCountsAsync(Admin, projectId, total: 0, open: 0);
    }

    [Fact]
    public async Task Import_PayloadJustUnder64KiB_IsAccepted()
    {
        var projectId = await CreateProjectAsync(Admin);
        var text = new string('p', (64 * KiB) - 100);

        await ImportAsync(Admin, projectId, $$$"""[{"id":"large","payload":{"text":"{{{text}}}"}}]""");

        var task = (await Admin.GetApiAsync(TaskPath(projectId, "large"))).Is(HttpStatusCode.OK);
        Assert.Equal(text, task["payload"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Import_MoreThan10000Tasks_Is413AndStoresNothing()
    {
        var projectId = await CreateProjectAsync(Admin);

        var response = await Admin.PostApiAsync($"{ProjectPath(projectId)}/tasks", $$$"""{"tasks":{{{SmallTasks(10_001, "t")}}}}""");

        response.IsProblem(HttpStatusCode.RequestEntityTooLarge, "too-large");
        (await Admin.GetApiAsync(TaskPath(projectId, "t-0"))).IsProblem(HttpStatusCode.NotFound, "not-found");
        await AssertCountsAsync(Admin, projectId, total: 0, open: 0);
    }

    [Fact]
    public async Task Import_BodyOver16MiB_Is413AndStoresNothing()
    {
        var projectId = await CreateProjectAsync(Admin);
        // 300 tasks of 60 KiB each: every task and the task count are within their limits, the body (~17.6 MiB) is not.
        var text = new string('b', 60 * KiB);
        var json = new StringBuilder("""{"tasks":[""");
        for (var i = 0; i < 300; i++)
        {
            json.Append(i == 0 ? "" : ",").Append($$"""{"id":"t-{{i}}","payload":"{{text}}"}""");
        }

        json.Append("]}");
        Assert.True(json.Length > 16 * KiB * KiB);

        var response = await Admin.PostApiAsync($"{ProjectPath(projectId)}/tasks", json.ToString());

        response.IsProblem(HttpStatusCode.RequestEntityTooLarge, "too-large");
        (await Admin.GetApiAsync(TaskPath(projectId, "t-0"))).IsProblem(HttpStatusCode.NotFound, "not-found");
        await AssertCountsAsync(Admin, projectId, total: 0, open: 0);
    }

    [Fact]
    public async Task Import_10000TasksInOneCall_StoresThemAll()
    {
        var projectId = await CreateProjectAsync(Admin);

        var answer = await ImportAsync(Admin, projectId, SmallTasks(10_000));

        Assert.Equal(10_000, answer["created"]!.GetValue<int>());
        Assert.Equal(0, answer["existing"]!.GetValue<int>());
        var ids = answer["ids"]!.AsArray().Select(i => i!.GetValue<string>()).ToList();
        Assert.Equal(10_000, ids.Count);
        Assert.Equal(10_000, ids.Distinct().Count());
        await AssertCountsAsync(Admin, projectId, total: 10_000, open: 10_000);
        var last = (await Admin.GetApiAsync(TaskPath(projectId, ids[^1]))).Is(HttpStatusCode.OK);
        Assert.Equal(9_999, last["payload"]!["n"]!.GetValue<int>());
    }

    [Fact]
    public async Task Import_CountsAreExactAfterSeveralCalls()
    {
        var requester = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(requester.Client);

        await ImportAsync(requester.Client, projectId, SmallTasks(3, "first"));
        await ImportAsync(requester.Client, projectId, SmallTasks(5, "second"));
        await ImportAsync(requester.Client, projectId, SmallTasks(5, "second"));
        await ImportAsync(requester.Client, projectId, SmallTasks(2));

        await AssertCountsAsync(requester.Client, projectId, total: 10, open: 10);
    }

    [Fact]
    public async Task Import_GoldenTasks_AreAccepted()
    {
        var projectId = await CreateProjectAsync(Admin, """{"quality":{"minGolden":2,"minAccuracy":0.5}}""");

        var answer = await ImportAsync(Admin, projectId, """
            [ {"id":"g1","payload":{"img":"1.png"},"goldenAnswer":{"label":"cat"}},
              {"id":"g2","payload":{"img":"2.png"},"goldenAnswer":"fur"},
              {"id":"plain","payload":{"img":"3.png"}} ]
            """);

        Assert.Equal(3, answer["created"]!.GetValue<int>());
        await AssertCountsAsync(Admin, projectId, total: 3, open: 3);
        Assert.Equal("open", (await Admin.GetApiAsync(TaskPath(projectId, "g1"))).Is(HttpStatusCode.OK)["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Import_IntoExamProject_WithoutGoldenAnswer_Is400AndStoresNothing()
    {
        var projectId = await CreateProjectAsync(Admin, """{"exam":{"skill":"sentiment","level":2,"passScore":0.5}}""");

        var response = await Admin.PostApiAsync(
            $"{ProjectPath(projectId)}/tasks",
            """{"tasks":[{"id":"q1","payload":"good?","goldenAnswer":"yes"},{"id":"q2","payload":"bad?"}]}""");

        response.IsValidationProblem();
        (await Admin.GetApiAsync(TaskPath(projectId, "q1"))).IsProblem(HttpStatusCode.NotFound, "not-found");
        await AssertCountsAsync(Admin, projectId, total: 0, open: 0);

        var accepted = await ImportAsync(Admin, projectId, """[{"id":"q1","payload":"good?","goldenAnswer":"yes"},{"id":"q2","payload":"bad?","goldenAnswer":"no"}]""");
        Assert.Equal(2, accepted["created"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"tasks":{"id":"t"}}""")]
    [InlineData("""{"tasks":[{"id":"fine","payload":1},{"id":"no-payload"}]}""")]
    [InlineData("""{"tasks":[{"id":"fine","payload":1},{"id":"bad-priority","payload":1,"priority":"high"}]}""")]
    public async Task Import_WithMalformedTaskList_Is400AndStoresNothing(string body)
    {
        var projectId = await CreateProjectAsync(Admin);

        (await Admin.PostApiAsync($"{ProjectPath(projectId)}/tasks", body)).IsProblem(HttpStatusCode.BadRequest, "validation");

        (await Admin.GetApiAsync(TaskPath(projectId, "fine"))).IsProblem(HttpStatusCode.NotFound, "not-found");
        await AssertCountsAsync(Admin, projectId, total: 0, open: 0);
    }

    [Fact]
    public async Task Import_IntoUnknownProject_Is404NotFound()
    {
        (await Admin.PostApiAsync($"{ProjectPath(NewId("ghost"))}/tasks", """{"tasks":[{"payload":1}]}"""))
            .IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    // ---------------------------------------------------------------- task view

    [Fact]
    public async Task GetTask_ReturnsTheOpenTaskView()
    {
        var requester = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(requester.Client);
        const string Payload = """{"image":"https://example.org/cat.png","tags":["a","b"],"meta":{"w":640,"ratio":1.5,"ok":true,"none":null},"note":"ünïcödé ✓"}""";
        await ImportAsync(requester.Client, projectId, $$"""[{"id":"t-view","payload":{{Payload}},"priority":7}]""");

        var task = (await requester.Client.GetApiAsync(TaskPath(projectId, "t-view"))).Is(HttpStatusCode.OK);

        Assert.Equal("t-view", task["id"]!.GetValue<string>());
        Assert.Equal("open", task["state"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Payload), task["payload"]), $"payload changed: {task["payload"]?.ToJsonString()}");
        Assert.Equal(7, task["priority"]!.GetValue<int>());
        Assert.Equal(0, task["failedAttempts"]!.GetValue<int>());
        Assert.Empty(task["leases"]!.AsArray());
        Assert.Empty(task["submissions"]!.AsArray());
    }

    [Theory]
    [InlineData("42")]
    [InlineData("\"just text\"")]
    [InlineData("[1,[2,{\"three\":3}]]")]
    [InlineData("true")]
    public async Task GetTask_ReturnsAnyJsonPayloadUnchanged(string payload)
    {
        var projectId = await CreateProjectAsync(Admin);
        await ImportAsync(Admin, projectId, $$$"""[{"id":"any","payload":{{{payload}}}}]""");

        var task = (await Admin.GetApiAsync(TaskPath(projectId, "any"))).Is(HttpStatusCode.OK);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(payload), task["payload"]), $"payload changed: {task["payload"]?.ToJsonString()}");
    }

    [Fact]
    public async Task GetTask_Unknown_Is404NotFound()
    {
        var projectId = await CreateProjectAsync(Admin);

        (await Admin.GetApiAsync(TaskPath(projectId, "nope"))).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await Admin.GetApiAsync(TaskPath(NewId("ghost"), "nope"))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task GetTask_OfAnotherProject_Is404NotFound()
    {
        var first = await CreateProjectAsync(Admin);
        var second = await CreateProjectAsync(Admin);
        await ImportAsync(Admin, first, """[{"id":"only-in-first","payload":1}]""");

        (await Admin.GetApiAsync(TaskPath(second, "only-in-first"))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    // ---------------------------------------------------------------- operations and error shape

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_WithoutKey_Returns200(string path)
    {
        using var response = await Anonymous.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_WithoutKey_Returns200Json()
    {
        var response = await Anonymous.GetApiAsync("/openapi/v1.json");

        var document = response.Is(HttpStatusCode.OK);
        Assert.Equal("application/json", response.MediaType);
        Assert.NotNull(document["openapi"]);
        var paths = document["paths"]!.AsObject();
        Assert.Contains("/v1/projects", paths.Select(p => p.Key));
        Assert.Contains("/v1/requesters", paths.Select(p => p.Key));
    }

    [Fact]
    public async Task UnknownRoute_IsProblemJson404()
    {
        (await Admin.GetApiAsync("/v1/no-such-thing/" + Guid.NewGuid().ToString("N"))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    /// <summary>Asserts that <paramref name="actual"/> holds everything in <paramref name="expected"/> (numbers by value).</summary>
    private static void AssertJsonSubset(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected)
        {
            case null:
                Assert.True(actual is null, $"{path}: expected null, got {actual?.ToJsonString()}");
                break;
            case JsonObject obj:
                Assert.True(actual is JsonObject, $"{path}: expected an object, got {actual?.ToJsonString()}");
                foreach (var (key, value) in obj)
                {
                    AssertJsonSubset(value, actual![key], $"{path}.{key}");
                }

                break;
            case JsonArray array:
                Assert.True(actual is JsonArray other && other.Count == array.Count, $"{path}: expected {array.ToJsonString()}, got {actual?.ToJsonString()}");
                for (var i = 0; i < array.Count; i++)
                {
                    AssertJsonSubset(array[i], actual![i], $"{path}[{i}]");
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                Assert.True(
                    actual is JsonValue n && n.GetValueKind() == JsonValueKind.Number && n.GetValue<decimal>() == value.GetValue<decimal>(),
                    $"{path}: expected {value.ToJsonString()}, got {actual?.ToJsonString()}");
                break;
            default:
                Assert.True(JsonNode.DeepEquals(expected, actual), $"{path}: expected {expected.ToJsonString()}, got {actual?.ToJsonString()}");
                break;
        }
    }
}
