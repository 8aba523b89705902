using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dispatch.Tests.Web;

/// <summary>A worker at <c>/workspace</c> in a real browser, against a real host on memory storage.</summary>
[Collection(BrowserCollection.Name)]
public sealed class WorkspaceTests(BrowserFixture browser, MemoryApiHost host)
    : BrowserTestBase(browser), IClassFixture<MemoryApiHost>
{
    private const string SentimentConfig = """
        <View>
          <Header value="What is the sentiment of this review?"/>
          <Text name="text" value="$text"/>
          <Choices name="sentiment" toName="text" choice="single" showInLine="true" required="true">
            <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
          </Choices>
        </View>
        """;

    /// <summary>The normalised result of choosing "Positive": what a requester writes as the golden answer.</summary>
    private const string PositiveAnswer = """[{"from_name":"sentiment","to_name":"text","type":"choices","value":{"choices":["Positive"]}}]""";

    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);

    [Fact]
    public async Task Worker_SignsIn_LabelsInTheEditor_AndSubmits_TheNormalisedResultIsStoredAndMatchesTheGoldenAnswer()
    {
        var (projectId, worker) = await ProjectAndWorkerAsync(leaseSeconds: 300, $$$"""
            [{"id":"review-1","priority":1,"payload":{"text":"The food was excellent and still warm."},"goldenAnswer":{{{PositiveAnswer}}}},
             {"id":"review-2","payload":{"text":"Cold soup, rude waiter."}}]
            """);

        await using var visit = await OpenAsync("/workspace");
        var page = visit.Page;
        await page.GetByLabel("Worker token").FillAsync(worker.Token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(TaskText(page, "The food was excellent and still warm.")).ToBeVisibleAsync();
        await Expect(page.Locator("#lease-what")).ToContainTextAsync("review-1");
        await Expect(page.Locator("#countdown")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^[45]:\d\d left$"));
        await Choice(page, "Positive").ClickAsync();
        await Expect(Choice(page, "Positive")).ToBeCheckedAsync();
        await ScreenshotAsync(page, "workspace.png");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();

        await Expect(page.Locator("#notice")).ToHaveTextAsync("Submitted. Thank you!");
        // The next task comes at once, and "my work" counts the submission.
        await Expect(TaskText(page, "Cold soup, rude waiter.")).ToBeVisibleAsync();
        await Expect(page.Locator("#stats")).ToContainTextAsync("submitted1");
        await Expect(page.Locator("#certifications")).ToContainTextAsync(": level 2");

        var task = (await Admin.GetApiAsync(TaskPath(projectId, "review-1"))).Is(HttpStatusCode.OK);
        var submission = Assert.Single(task["submissions"]!.AsArray())!;
        Assert.Equal(worker.Id, submission["workerId"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(PositiveAnswer), submission["result"]), submission.ToJsonString());
        Assert.True(submission["correct"]!.GetValue<bool>(), "the stored result should equal the golden answer written in the documented shape");
        Assert.Equal("completed", task["state"]!.GetValue<string>());
        visit.AssertWellBehaved();
    }

    [Fact]
    public async Task Worker_SignedInByTheFragment_Skips_TheTaskIsReleasedAndThePageWaitsForWork_OnAPhone()
    {
        var (projectId, worker) = await ProjectAndWorkerAsync(leaseSeconds: 300, """[{"id":"only","payload":{"text":"Meh."}}]""");

        await using var visit = await OpenAsync($"/workspace#token={Uri.EscapeDataString(worker.Token)}", Phone);
        var page = visit.Page;
        await Expect(TaskText(page, "Meh.")).ToBeVisibleAsync();
        Assert.DoesNotContain(worker.Token, page.Url, StringComparison.Ordinal);

        // The token lives in this tab's sessionStorage: a reload stays signed in and picks the same lease up again.
        await page.ReloadAsync();
        await Expect(TaskText(page, "Meh.")).ToBeVisibleAsync();
        Assert.Equal("active", await OnlyLeaseStateAsync(projectId, "only"));

        var width = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(width <= Phone.Width, $"the page is {width} px wide on a {Phone.Width} px screen");
        await ScreenshotAsync(page, "workspace-phone.png");
        await page.GetByRole(AriaRole.Button, new() { Name = "Skip" }).ClickAsync();

        await Expect(page.Locator("#notice")).ToHaveTextAsync("Skipped.");
        await Expect(page.Locator("#status")).ToHaveTextAsync("No work right now. Waiting for new tasks…");
        Assert.Equal("released", await OnlyLeaseStateAsync(projectId, "only"));
        visit.AssertWellBehaved();
    }

    [Fact]
    public async Task Worker_WaitingForWork_GetsATaskImportedLater_AtOnce()
    {
        var (projectId, worker) = await ProjectAndWorkerAsync(leaseSeconds: 300, tasks: null);

        await using var visit = await OpenAsync($"/workspace#token={Uri.EscapeDataString(worker.Token)}");
        var page = visit.Page;
        await Expect(page.Locator("#status")).ToHaveTextAsync("No work right now. Waiting for new tasks…");
        // Let the page settle into its long poll before the work arrives.
        await Task.Delay(TimeSpan.FromSeconds(1));

        await ImportAsync(Admin, projectId, """[{"payload":{"text":"Arrived while waiting."}}]""");

        await Expect(TaskText(page, "Arrived while waiting.")).ToBeVisibleAsync(new() { Timeout = 15_000 });
        visit.AssertWellBehaved();
    }

    [Fact]
    public async Task Worker_HeartbeatsKeepAShortLeaseAlive_WhileThePageIsOpen()
    {
        var (projectId, worker) = await ProjectAndWorkerAsync(leaseSeconds: 3, """[{"id":"slow","payload":{"text":"Take your time."}}]""");

        await using var visit = await OpenAsync($"/workspace#token={Uri.EscapeDataString(worker.Token)}");
        var page = visit.Page;
        await Expect(TaskText(page, "Take your time.")).ToBeVisibleAsync();
        // Twice the lease: without heartbeats it would have expired and been counted as a failed attempt.
        await Task.Delay(TimeSpan.FromSeconds(6));

        Assert.Equal("active", await OnlyLeaseStateAsync(projectId, "slow"));
        await Choice(page, "Neutral").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();
        await Expect(page.Locator("#notice")).ToHaveTextAsync("Submitted. Thank you!");
        await AssertCountsAsync(Admin, projectId, total: 1, open: 0, completed: 1, submissions: 1);
        visit.AssertWellBehaved();
    }

    [Fact]
    public async Task Worker_WhoseLeaseRunsOut_IsTold_AndTheTaskGoesBackToTheCrowd()
    {
        var (projectId, worker) = await ProjectAndWorkerAsync(leaseSeconds: 2, """[{"id":"late","payload":{"text":"Too slow."}}]""");

        await using var visit = await OpenAsync($"/workspace#token={Uri.EscapeDataString(worker.Token)}");
        var page = visit.Page;
        // The connection drops heartbeats from now on, as a train entering a tunnel would.
        await page.RouteAsync("**/heartbeat", route => route.AbortAsync());
        await Expect(TaskText(page, "Too slow.")).ToBeVisibleAsync();

        await Expect(page.Locator("#notice")).ToHaveTextAsync("Time ran out on that task; it went back to the crowd.", new() { Timeout = 10_000 });
        await Expect(TaskText(page, "Too slow.")).ToBeHiddenAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("No work right now. Waiting for new tasks…");
        Assert.Equal("expired", await OnlyLeaseStateAsync(projectId, "late"));
        visit.AssertWellBehaved();
    }

    [Fact]
    public async Task SignIn_WithAnUnknownToken_IsRefusedOnThePage()
    {
        await using var visit = await OpenAsync("/workspace");
        var page = visit.Page;
        await page.GetByLabel("Worker token").FillAsync("wk.nobody.not-a-real-token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.Locator("#sign-in-error")).ToHaveTextAsync("This token is not known here.");
        Assert.True(await page.Locator("#workspace").IsHiddenAsync());
    }

    /// <summary>
    /// A project only its own worker may take: it needs a skill of its own, certified to that worker alone. The tests
    /// of this class share a host, and a worker's page claims from every project it qualifies for.
    /// </summary>
    private async Task<(string ProjectId, Worker Worker)> ProjectAndWorkerAsync(int leaseSeconds, string? tasks)
    {
        var requester = await CreateRequesterAsync();
        var projectId = NewId("prj");
        var skill = NewId("skill");
        var body = ProjectBody(projectId);
        body["requirements"] = new JsonArray(new JsonObject { ["skill"] = skill, ["minLevel"] = 1 });
        body["instructions"] = "Read the review and pick its sentiment.";
        body["labelConfig"] = SentimentConfig;
        body["leaseSeconds"] = leaseSeconds;
        await CreateProjectAsync(requester.Client, body);
        if (tasks is not null)
        {
            await ImportAsync(requester.Client, projectId, tasks);
        }

        var worker = await CreateWorkerAsync();
        (await Admin.PutApiAsync(CertificationPath(worker.Id, skill), new { level = 2 })).Is(HttpStatusCode.OK);
        return (projectId, worker);
    }

    /// <summary>The task's text as the editor shows it.</summary>
    private static ILocator TaskText(IPage page, string text) => page.Locator(".lsf-richtext__container", new() { HasText = text });

    /// <summary>One of the editor's choices (its label also shows the hotkey, "Positive[1]").</summary>
    private static ILocator Choice(IPage page, string value) => page.GetByRole(AriaRole.Checkbox, new() { Name = value });

    /// <summary>The state of the one lease the task has had.</summary>
    private async Task<string> OnlyLeaseStateAsync(string projectId, string taskId)
    {
        var task = (await Admin.GetApiAsync(TaskPath(projectId, taskId))).Is(HttpStatusCode.OK);
        return Assert.Single(task["leases"]!.AsArray())!["state"]!.GetValue<string>();
    }
}
