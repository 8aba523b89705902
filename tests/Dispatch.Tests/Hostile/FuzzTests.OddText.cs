using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;
using Xunit.Sdk;

namespace Dispatch.Tests.Hostile;

public abstract partial class FuzzTests
{
    // ------------------------------------------------------------------ 8. odd text in free text and JSON values

    /// <summary>
    /// The inside of a JSON string as sent on the wire. PostgreSQL stores no NUL in text or json, and its json type
    /// refuses an escaped lone surrogate; .NET keeps both. Whatever a backend can store must read back as sent, and
    /// what one cannot store is refused alike by both, before anything is stored.
    /// </summary>
    private static readonly string[] OddStringTexts =
    [
        @"\u0000", @"a\u0000b", @"\ud800", @"x\udc00", @"\ud800\u0000", @"\ud83d\ude00", "\U0001F600", @"\u202e",
        @"\\u0000", @"\\ud800", @"\ufeff", @"\uffff", @"\ufffe", @"\u0001", @"\t\n", @"\""", "é", @"\u00e9", @"\u2028",
    ];

    private static readonly string[] OddNumbers =
    [
        "1e400", "-1e400", "1e1000000", "1E-1000000", "-0", "0e0", "-0.0", "123456789012345678901234567890", "1.000000000000000000000000001",
    ];

    /// <summary>JSON values for payloads, golden answers and results: odd strings as values and keys, odd numbers, odd shapes.</summary>
    private static readonly string[] OddJsonValues =
    [
        .. OddStringTexts.Select(s => $"\"{s}\""),
        .. OddStringTexts.Select(s => $$"""{"{{s}}":1}"""),
        .. OddNumbers,
        .. OddNumbers.Select(n => $$"""{"n":[{{n}}]}"""),
        """{"a":1,"a":2}""", """{"b":1,"a":{"a":1,"a":[2]}}""", "[]", "{}", "[null]", "true", """ [ 1 , { } ] """,
    ];

    /// <summary>What a JSON text holds that no backend may store: null when nothing.</summary>
    private static string? Unstorable(string json)
    {
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json), new JsonReaderOptions { AllowMultipleValues = false });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
            {
                continue;
            }

            string text;
            try
            {
                text = reader.GetString()!;
            }
            catch (InvalidOperationException)
            {
                return "a lone surrogate";
            }

            if (text.Contains('\0', StringComparison.Ordinal))
            {
                return "a NUL";
            }
        }

        return null;
    }

    /// <summary>What a free-text fixture acts on: a requester-reviewed project with pending submissions of one worker, who has money.</summary>
    private sealed record TextFixture(string ProjectId, string WorkerId, Queue<string> PendingTaskIds, Fixture Work);

    private async Task<TextFixture> SetUpTextAsync(int pending)
    {
        var work = await SetUpAsync(tasks: 400);
        var projectId = Fresh("fzv");
        await CreateProjectAsync(Admin, With(ProjectBody(projectId), """{"review":{"mode":"requester"},"reward":0.5}"""));
        await ImportAsync(Admin, projectId, SmallTasks(pending));
        var taskIds = new Queue<string>();
        for (var i = 0; i < pending; i++)
        {
            var lease = (await Admin.PostApiAsync($"/v1/workers/{work.WorkerId}/leases", new { projectId })).Is(HttpStatusCode.Created);
            (await Admin.PostApiAsync($"/v1/workers/{work.WorkerId}/leases/{lease["leaseId"]!.GetValue<string>()}/submit", new { result = "x" })).Is(HttpStatusCode.OK);
            taskIds.Enqueue(lease["taskId"]!.GetValue<string>());
        }

        // Money for the payouts below.
        (await Admin.PostApiAsync($"/v1/workers/{work.WorkerId}/bonuses", new { projectId, amount = 10_000m, reason = "float", idempotencyKey = Fresh("k") }))
            .Is(HttpStatusCode.Created);
        return new TextFixture(projectId, work.WorkerId, taskIds, work);
    }

    /// <summary>
    /// A call that carries free text: its body around the text (<c>@</c> marks the JSON string), and where the text
    /// shows again (null: nowhere): in the answer, or in a read of <see cref="ReadPath"/> when given.
    /// </summary>
    private sealed record TextTarget(
        string Name, HttpMethod Method, Func<TextFixture, string> Path, Func<TextFixture, string> Body, Func<JsonNode, JsonNode?>? Echo,
        Func<JsonNode, string>? ReadPath = null);

    private static readonly TextTarget[] TextTargets =
    [
        new("requester name", HttpMethod.Post, _ => "/v1/requesters", _ => $$"""{"id":"{{Fresh("fzr")}}","name":@}""", a => a["name"]),
        new("worker displayName", HttpMethod.Post, _ => "/v1/workers", _ => $$"""{"id":"{{Fresh("fzw")}}","displayName":@}""", a => a["displayName"],
            a => $"/v1/workers/{a["id"]!.GetValue<string>()}"),
        new("project name", HttpMethod.Post, _ => "/v1/projects", _ => $$"""{"id":"{{Fresh("fzp")}}","name":@}""", a => a["name"]),
        new("project instructions", HttpMethod.Post, _ => "/v1/projects", _ => $$"""{"id":"{{Fresh("fzp")}}","instructions":@}""", a => a["instructions"]),
        new("project labelConfig", HttpMethod.Post, _ => "/v1/projects", _ => $$"""{"id":"{{Fresh("fzp")}}","labelConfig":@}""", a => a["labelConfig"]),
        new("block reason", HttpMethod.Post, f => $"/v1/workers/{f.Work.SpareWorkerId}/block", _ => """{"reason":@}""", null),
        new("bonus reason", HttpMethod.Post, f => $"/v1/workers/{f.WorkerId}/bonuses",
            f => $$"""{"projectId":"{{f.ProjectId}}","amount":0.0001,"reason":@,"idempotencyKey":"{{Fresh("k")}}"}""", a => a["reason"]),
        new("bonus idempotencyKey", HttpMethod.Post, f => $"/v1/workers/{f.WorkerId}/bonuses",
            f => $$"""{"projectId":"{{f.ProjectId}}","amount":0.0001,"reason":"r","idempotencyKey":@}""", null),
        new("payout reference", HttpMethod.Post, f => $"/v1/workers/{f.WorkerId}/payouts",
            _ => $$"""{"amount":0.0001,"reference":@,"idempotencyKey":"{{Fresh("k")}}"}""", a => a["reference"]),
        new("payout idempotencyKey", HttpMethod.Post, f => $"/v1/workers/{f.WorkerId}/payouts",
            _ => """{"amount":0.0001,"reference":"r","idempotencyKey":@}""", null),
        new("review comment", HttpMethod.Post, f => $"/v1/projects/{f.ProjectId}/tasks/{f.PendingTaskIds.Dequeue()}/submissions/{f.WorkerId}/review",
            _ => """{"verdict":"accept","comment":@}""", a => a["review"]?["comment"]),
    ];

    [Fact]
    public async Task OddText_InFreeTextFields_IsStoredAsSent_OrRefusedWith400_NeverA5xx()
    {
        // Idempotency keys are per worker: each piece may be sent as a key once, so every case runs once, in turn.
        var cases = TextTargets.SelectMany(t => OddStringTexts.Select(s => (Target: t, Text: s))).ToList();
        var fixture = await SetUpTextAsync(pending: OddStringTexts.Length);
        var ledgerBefore = await LedgerCountAsync(fixture.WorkerId);

        var storedMoney = 0;
        await AllAsync(cases, async c =>
        {
            var json = $"\"{c.Text}\"";
            var body = c.Target.Body(fixture).Replace("@", json, StringComparison.Ordinal);
            var response = await SendAsync(Admin, c.Target.Method, c.Target.Path(fixture), body, $"{c.Target.Name} = {json}");
            var context = $"{c.Target.Name} = {json}: {body}";
            if (Unstorable(json) is { } why)
            {
                ExpectValidation(response, $"{context} (holds {why})");
                return;
            }

            var expected = JsonDocument.Parse(json).RootElement.GetString()!;
            var money = c.Target.Name.StartsWith("bonus", StringComparison.Ordinal) || c.Target.Name.StartsWith("payout", StringComparison.Ordinal);
            if (string.IsNullOrWhiteSpace(expected) && !money && response.Status == HttpStatusCode.BadRequest)
            {
                // A blank name may be refused as missing (docs/api.md: required) or stood in for; a 5xx is still caught above.
                return;
            }

            if ((int)response.Status is < 200 or >= 300)
            {
                throw new XunitException($"{context}: text that every backend can store was refused: {response}");
            }

            // Two spellings of one key ("é" and "\u00e9") are one key: the second is a replay, 200, paid once.
            storedMoney += money && response.Status == HttpStatusCode.Created ? 1 : 0;
            if (c.Target.Echo is null || string.IsNullOrWhiteSpace(expected))
            {
                return;
            }

            var shown = c.Target.ReadPath is { } read ? (await Admin.GetApiAsync(read(response.Json))).Is(HttpStatusCode.OK) : response.Json;
            if (c.Target.Echo(shown)?.GetValue<string>() is var echoed && echoed != expected)
            {
                throw new XunitException($"{context}: shows '{Escape(echoed ?? "(none)")}', sent '{Escape(expected)}': {shown.ToJsonString()}");
            }
        });

        // Every bonus and payout answered 201 is in the ledger once; none refused is.
        Assert.Equal(ledgerBefore + storedMoney, await LedgerCountAsync(fixture.WorkerId));
        Report("odd text in free-text fields");
    }

    /// <summary>The worker's bonuses and payouts (accepted reviews add rewards beside them).</summary>
    private async Task<int> LedgerCountAsync(string workerId) =>
        (await Admin.GetApiAsync($"/v1/workers/{workerId}/ledger?limit=1000")).Is(HttpStatusCode.OK)["items"]!.AsArray()
            .Count(e => e!["kind"]!.GetValue<string>() is "bonus" or "payout");

    [Fact]
    public async Task OddJsonValues_InPayloadsGoldenAnswersAndResults_ReadBackAsSent_OrAre400()
    {
        var fixture = await SetUpAsync(tasks: 400);
        var importPath = $"/v1/projects/{fixture.SpareProjectId}/tasks";
        var stored = 0;

        async Task CheckAsync(string value, string target)
        {
            var why = Unstorable(value);
            var taskId = Fresh("odd");
            string body;
            if (target == "result")
            {
                var lease = (await Admin.PostApiAsync($"/v1/workers/{fixture.WorkerId}/leases", new { projectId = fixture.ProjectId })).Is(HttpStatusCode.Created);
                taskId = lease["taskId"]!.GetValue<string>();
                body = $$"""{"result":{{value}}}""";
                var submit = await SendAsync(Admin, HttpMethod.Post, $"/v1/workers/{fixture.WorkerId}/leases/{lease["leaseId"]!.GetValue<string>()}/submit", body, $"result {value}");
                if (why is not null)
                {
                    ExpectValidation(submit, $"a result holding {why}: {value}");
                    (await Admin.PostApiAsync($"/v1/workers/{fixture.WorkerId}/leases/{lease["leaseId"]!.GetValue<string>()}/release", new { })).Is(HttpStatusCode.OK);
                    return;
                }

                Expect(submit, HttpStatusCode.OK, null, $"a result every backend can store: {value}");
                var task = await SendAsync(Admin, HttpMethod.Get, $"/v1/projects/{fixture.ProjectId}/tasks/{taskId}", null, "task read");
                Expect(task, HttpStatusCode.OK, null, "reading a task");
                AssertSame(value, task.Text, t => t.GetProperty("submissions")[0].GetProperty("result"), $"the stored result of {taskId}");
                return;
            }

            body = target == "payload"
                ? $$"""{"tasks":[{"id":"{{taskId}}","payload":{{value}}}]}"""
                : $$"""{"tasks":[{"id":"{{taskId}}","payload":1,"goldenAnswer":{{value}}}]}""";
            var import = await SendAsync(Admin, HttpMethod.Post, importPath, body, $"{target} {value}");
            if (why is not null)
            {
                ExpectValidation(import, $"a {target} holding {why}: {value}");
                (await Admin.GetApiAsync($"/v1/projects/{fixture.SpareProjectId}/tasks/{taskId}")).IsProblem(HttpStatusCode.NotFound, "not-found");
                return;
            }

            Expect(import, HttpStatusCode.OK, null, $"a {target} every backend can store: {body}");
            Interlocked.Increment(ref stored);
            if (target == "payload")
            {
                var task = await SendAsync(Admin, HttpMethod.Get, $"/v1/projects/{fixture.SpareProjectId}/tasks/{taskId}", null, "task read");
                Expect(task, HttpStatusCode.OK, null, "reading a task");
                AssertSame(value, task.Text, t => t.GetProperty("payload"), $"the stored payload of {taskId}");
            }

            // The same task again is idempotent; the stored value is compared with the new one as JSON, not refused.
            var again = await SendAsync(Admin, HttpMethod.Post, importPath, body, $"{target} {value} again");
            Expect(again, HttpStatusCode.OK, null, $"the same import of a {target} again: {body}");
            Assert.True(again.Json["existing"]!.GetValue<int>() == 1, $"the same import of a {target} again should count as existing: {again}");
        }

        var targets = new[] { "payload", "goldenAnswer", "result" };
        await AllAsync(targets.SelectMany(t => OddJsonValues.Select(v => (Target: t, Value: v))), c => CheckAsync(c.Value, c.Target));
        AssertCounts(await GetProjectAsync(Admin, fixture.SpareProjectId), total: stored, open: stored);
        Report("odd JSON values");
    }

    /// <summary>
    /// Equal as JSON values: what was sent and the part of an answer <paramref name="pick"/> takes. Read as a
    /// document, not a node: a node refuses duplicate keys, which a value may hold.
    /// </summary>
    private static void AssertSame(string sent, string answer, Func<JsonElement, JsonElement> pick, string what)
    {
        using var expected = JsonDocument.Parse(sent);
        using var actual = JsonDocument.Parse(answer);
        var served = pick(actual.RootElement);
        Assert.True(JsonElement.DeepEquals(expected.RootElement, served), $"{what}: sent {sent}, served {served.GetRawText()}");
    }
}
