using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dispatch.Tests.Web;

/// <summary>A requester and the admin at <c>/console</c> in a real browser, against a real host on memory storage.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleTests(BrowserFixture browser, MemoryApiHost host)
    : BrowserTestBase(browser), IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);

    [Fact]
    public async Task Requester_CreatesAProject_UploadsTasks_WatchesACrowdLive_AndDownloadsTheResults()
    {
        var requester = await CreateRequesterAsync();
        await using var visit = await OpenAsync($"/console#key={Uri.EscapeDataString(requester.ApiKey)}");
        var page = visit.Page;
        Assert.DoesNotContain(requester.ApiKey, page.Url, StringComparison.Ordinal);
        await Expect(page.GetByText("No projects yet")).ToBeVisibleAsync();

        // Create, after trying the labelling interface in the preview: it shows the result a worker would send.
        var projectId = NewId("prj");
        await page.GetByText("New project").ClickAsync();
        var preview = page.Locator("#preview");
        await preview.GetByRole(AriaRole.Checkbox, new() { Name = "Negative" }).ClickAsync();
        await preview.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();
        await Expect(page.Locator("#preview-result")).ToHaveTextAsync("""[{"value":{"choices":["Negative"]},"from_name":"sentiment","to_name":"text","type":"choices"}]""");
        var form = page.Locator("#project-form");
        await form.GetByLabel("Id").FillAsync(projectId);
        await form.GetByLabel("Name").FillAsync("Reviews");
        await form.GetByLabel("Instructions").FillAsync("Pick the sentiment.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        var card = page.Locator($"[data-project='{projectId}']");
        await Expect(card).ToBeVisibleAsync();
        var created = await GetProjectAsync(requester.Client, projectId);
        Assert.Contains("<Choices name=\"sentiment\"", created["labelConfig"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Pick the sentiment.", created["instructions"]!.GetValue<string>());

        // Upload 1,200 tasks from CSV: three import calls of at most 500, the bar filling as they go.
        var imports = 0;
        page.Request += (_, request) =>
        {
            if (request.Method == "POST" && request.Url.EndsWith("/tasks", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref imports);
            }
        };
        var csv = new StringBuilder("id,text\r\n");
        for (var i = 0; i < 1200; i++)
        {
            csv.Append($"r-{i},\"Review {i}, with a comma\"\r\n");
        }

        await page.Locator("#tasks-file").SetInputFilesAsync(new FilePayload { Name = "tasks.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv.ToString()) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload", Exact = true }).ClickAsync();
        await Expect(page.Locator("#upload-result")).ToHaveTextAsync("1,200 tasks uploaded: 1,200 new, 0 already there.");
        Assert.Equal(3, imports);
        Assert.Equal(1200, await page.Locator("#upload-progress").EvaluateAsync<int>("p => p.value"));
        var task = (await requester.Client.GetApiAsync(TaskPath(projectId, "r-7"))).Is(HttpStatusCode.OK);
        Assert.Equal("Review 7, with a comma", task["payload"]!["text"]!.GetValue<string>());
        await Expect(Count(card, "open")).ToHaveAttributeAsync("value", "1200");

        // A crowd works through the HTTP API; the bars follow from the event stream, well before the list's own refresh.
        for (var i = 0; i < 5; i++)
        {
            var worker = await CreateWorkerAsync();
            var lease = (await worker.Client.PostApiAsync($"{WorkerPath(worker.Id)}/leases", new { projectId })).Is(HttpStatusCode.Created);
            var result = JsonNode.Parse("""[{"from_name":"sentiment","to_name":"text","type":"choices","value":{"choices":["Positive"]}}]""");
            (await worker.Client.PostApiAsync($"{WorkerPath(worker.Id)}/leases/{lease["leaseId"]}/submit", new { result })).Is(HttpStatusCode.OK);
        }

        var holder = await CreateWorkerAsync();
        (await holder.Client.PostApiAsync($"{WorkerPath(holder.Id)}/leases", new { projectId })).Is(HttpStatusCode.Created);
        var live = new LocatorAssertionsToHaveAttributeOptions { Timeout = 15_000 };
        await Expect(Count(card, "completed")).ToHaveAttributeAsync("value", "5", live);
        await Expect(Count(card, "activeLeases")).ToHaveAttributeAsync("value", "1", live);
        await Expect(Count(card, "open")).ToHaveAttributeAsync("value", "1195", live);
        await Expect(page.Locator("#events")).ToContainTextAsync("task.completed");
        await ScreenshotAsync(page, "console.png");

        // Results as JSON lines and as CSV.
        var jsonl = await DownloadAsync(page, "Download results (JSONL)");
        var lines = jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        foreach (var line in lines)
        {
            var item = JsonNode.Parse(line)!;
            Assert.StartsWith("r-", item["taskId"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal("Positive", item["submissions"]![0]!["result"]![0]!["value"]!["choices"]![0]!.GetValue<string>());
        }

        var exported = await DownloadAsync(page, "Download results (CSV)");
        var rows = exported.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("taskId,completedAt,workerId,submittedAt,state,result,payload", rows[0]);
        Assert.Equal(6, rows.Length);
        Assert.Contains("\"[{\"\"from_name\"\":\"\"sentiment\"\"", rows[1], StringComparison.Ordinal);

        // Pause and resume.
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(card.Locator(".badge")).ToHaveTextAsync("paused");
        Assert.Equal("paused", (await GetProjectAsync(requester.Client, projectId))["status"]!.GetValue<string>());
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Expect(card.Locator(".badge")).ToHaveTextAsync("open");
        visit.AssertWellBehaved();
    }

    [Fact]
    public async Task Requester_RetriesADeadLetteredTask_UploadedAsJsonLines()
    {
        var requester = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(requester.Client, """{"maxAttempts":1}""");
        await using var visit = await OpenAsync("/console");
        var page = visit.Page;
        await page.GetByLabel("Key").FillAsync(requester.ApiKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var card = page.Locator($"[data-project='{projectId}']");
        await Expect(card).ToBeVisibleAsync();

        await page.Locator("#tasks-file").SetInputFilesAsync(new FilePayload
        {
            Name = "tasks.jsonl",
            MimeType = "application/x-ndjson",
            Buffer = Encoding.UTF8.GetBytes("{\"id\":\"doomed\",\"payload\":{\"text\":\"a\"}}\n{\"text\":\"b\"}\n"),
        });
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload", Exact = true }).ClickAsync();
        await Expect(page.Locator("#upload-result")).ToHaveTextAsync("2 tasks uploaded: 2 new, 0 already there.");
        var worker = await CreateWorkerAsync();
        var lease = (await worker.Client.PostApiAsync($"{WorkerPath(worker.Id)}/leases", new { projectId })).Is(HttpStatusCode.Created);
        var leased = lease["taskId"]!.GetValue<string>();
        (await worker.Client.PostApiAsync($"{WorkerPath(worker.Id)}/leases/{lease["leaseId"]}/release", new { reason = "test" })).Is(HttpStatusCode.OK);
        await Expect(Count(card, "deadLettered")).ToHaveAttributeAsync("value", "1", new() { Timeout = 15_000 });

        await page.GetByRole(AriaRole.Button, new() { Name = "Show dead-lettered tasks" }).ClickAsync();
        var row = page.Locator("#dead-lettered-list tr", new() { HasText = leased });
        await row.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();

        await Expect(page.Locator("#notice")).ToHaveTextAsync($"Task {leased} is open again.");
        Assert.Equal("open", (await requester.Client.GetApiAsync(TaskPath(projectId, leased))).Is(HttpStatusCode.OK)["state"]!.GetValue<string>());
        await Expect(Count(card, "deadLettered")).ToHaveAttributeAsync("value", "0", new() { Timeout = 15_000 });
        visit.AssertWellBehaved();
    }

    [Fact]
    public async Task Admin_LooksUpAWorker_CertifiesIt_BlocksIt_AndUnblocksIt()
    {
        var worker = await CreateWorkerAsync();
        await using var visit = await OpenAsync($"/console#key={Uri.EscapeDataString(Host.AdminKey)}");
        var page = visit.Page;
        var admin = page.Locator("#admin");
        await Expect(admin).ToBeVisibleAsync();

        await admin.Locator("#worker-lookup").GetByLabel("Worker id").FillAsync(worker.Id);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Look up" }).ClickAsync();
        await admin.Locator("#worker-view").GetByLabel("Skill").FillAsync("transcription");
        await admin.Locator("#worker-view").GetByLabel("Level").FillAsync("3");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Certify" }).ClickAsync();
        await Expect(admin.GetByLabel("Certifications")).ToContainTextAsync("transcription: level 3 (admin)");
        await admin.GetByLabel("Reason").FillAsync("spam");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Block", Exact = true }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "Unblock", Exact = true })).ToBeVisibleAsync();

        var view = await GetWorkerAsync(Admin, worker.Id);
        Assert.True(view["blocked"]!.GetValue<bool>());
        Assert.Equal(3, view["certifications"]![0]!["level"]!.GetValue<int>());
        await admin.GetByRole(AriaRole.Button, new() { Name = "Unblock", Exact = true }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "Block", Exact = true })).ToBeVisibleAsync();
        Assert.False((await GetWorkerAsync(Admin, worker.Id))["blocked"]!.GetValue<bool>());

        // A new worker's token is shown once, with a link that signs the workspace in as that worker.
        var newcomer = NewId("wrk");
        await admin.Locator("#worker-create").GetByLabel("Id").FillAsync(newcomer);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create worker" }).ClickAsync();
        await Expect(admin.Locator("#secret")).ToContainTextAsync($"wk.{newcomer}.");
        var link = await admin.GetByRole(AriaRole.Link, new() { Name = "Open the workspace as this worker" }).GetAttributeAsync("href");
        await page.GotoAsync(link!);
        await Expect(page.Locator("#who")).ToHaveTextAsync(newcomer);
        visit.AssertWellBehaved();
    }

    /// <summary>A project card's bar for one of its counts.</summary>
    private static ILocator Count(ILocator card, string name) => card.Locator($"progress[data-count='{name}']");

    private static async Task<string> DownloadAsync(IPage page, string button)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = button }).ClickAsync());
        await using var stream = await download.CreateReadStreamAsync();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }
}
