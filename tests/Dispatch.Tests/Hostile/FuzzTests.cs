using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsCheck;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Dispatch.Tests.Hostile;

/// <summary>
/// Property-based abuse of the HTTP API on each backend: malformed JSON, wrong JSON types for every field of every
/// body, boundary numbers, deep and huge bodies, odd Unicode in ids and path segments, unknown fields, and random
/// sequences of requester calls checked against a small model. Every answer, whatever was sent, must keep the
/// contract's promises (<see cref="Hostile.Violation"/>): no 5xx, every 4xx a problem with a type of docs/api.md.
/// </summary>
public abstract partial class FuzzTests(ITestOutputHelper output) : ApiTestBase
{
    private const int KiB = 1024;
    private const int MiB = 1024 * 1024;

    private readonly CallTally _tally = new();

    // ------------------------------------------------------------------ the endpoints with bodies, and their fields

    private enum Kind
    {
        String,
        Int,
        Number,
        Array,
        Object,
    }

    /// <summary>A field of a body: its path (<c>a.b</c>, <c>a[0].b</c>), its JSON kind, whether it is required.</summary>
    private sealed record Field(string Path, Kind Kind, bool Required = false);

    /// <summary>
    /// One call that takes a body. <see cref="Body"/> makes a fresh valid body (new ids each time) that succeeds
    /// with <see cref="Success"/> in the fixture <see cref="Fixture"/>.
    /// </summary>
    private sealed record Endpoint(
        string Name, HttpMethod Method, Func<Fixture, string> Path, Func<Fixture, JsonObject> Body, HttpStatusCode Success, Field[] Fields)
    {
        public override string ToString() => Name;
    }

    /// <summary>What the endpoints act on: an admin-owned project with many tasks, a spare project, a worker and its lease.</summary>
    private sealed record Fixture(string ProjectId, string SpareProjectId, string WorkerId, string SpareWorkerId, string LeaseId);

    private static string Fresh(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    private static readonly Endpoint[] Endpoints =
    [
        new("create requester", HttpMethod.Post, _ => "/v1/requesters", _ => new() { ["id"] = Fresh("fzr"), ["name"] = "N" }, HttpStatusCode.Created,
            [new("id", Kind.String, true), new("name", Kind.String, true)]),
        new("create worker", HttpMethod.Post, _ => "/v1/workers",
            _ => new() { ["id"] = Fresh("fzw"), ["displayName"] = "D", ["maxActiveLeases"] = 5 }, HttpStatusCode.Created,
            [new("id", Kind.String, true), new("displayName", Kind.String), new("maxActiveLeases", Kind.Int)]),
        new("certify", HttpMethod.Put, f => $"/v1/workers/{f.SpareWorkerId}/certifications/fz-skill", _ => new() { ["level"] = 3 }, HttpStatusCode.OK,
            [new("level", Kind.Int, true)]),
        new("block", HttpMethod.Post, f => $"/v1/workers/{f.SpareWorkerId}/block", _ => new() { ["reason"] = "r" }, HttpStatusCode.OK,
            [new("reason", Kind.String)]),
        new("unblock", HttpMethod.Post, f => $"/v1/workers/{f.SpareWorkerId}/unblock", _ => new() { ["reason"] = "r" }, HttpStatusCode.OK,
            [new("reason", Kind.String)]),
        new("create project", HttpMethod.Post, _ => "/v1/projects", _ => FullProjectBody(Fresh("fzp")), HttpStatusCode.Created,
            [
                new("id", Kind.String, true), new("name", Kind.String), new("instructions", Kind.String), new("labelConfig", Kind.String),
                new("requirements", Kind.Array), new("requirements[0]", Kind.Object), new("requirements[0].skill", Kind.String, true),
                new("requirements[0].minLevel", Kind.Int, true), new("overlap", Kind.Int), new("leaseSeconds", Kind.Int),
                new("maxAttempts", Kind.Int), new("reward", Kind.Number), new("priority", Kind.Int), new("quality", Kind.Object),
                new("quality.minGolden", Kind.Int, true), new("quality.minAccuracy", Kind.Number, true), new("exam", Kind.Object),
                new("exam.skill", Kind.String, true), new("exam.level", Kind.Int, true), new("exam.passScore", Kind.Number, true),
            ]),
        new("patch project", HttpMethod.Patch, f => $"/v1/projects/{f.SpareProjectId}",
            _ => new() { ["status"] = "open", ["priority"] = 1, ["reward"] = 0.5m, ["leaseSeconds"] = 300, ["maxAttempts"] = 10 }, HttpStatusCode.OK,
            [new("status", Kind.String), new("priority", Kind.Int), new("reward", Kind.Number), new("leaseSeconds", Kind.Int), new("maxAttempts", Kind.Int)]),
        new("import", HttpMethod.Post, f => $"/v1/projects/{f.SpareProjectId}/tasks",
            _ => new() { ["tasks"] = new JsonArray(new JsonObject { ["id"] = Fresh("fzt"), ["payload"] = new JsonObject { ["n"] = 1 }, ["priority"] = 0, ["goldenAnswer"] = "a" }) },
            HttpStatusCode.OK,
            [new("tasks", Kind.Array, true), new("tasks[0]", Kind.Object), new("tasks[0].id", Kind.String), new("tasks[0].priority", Kind.Int)]),
        new("claim", HttpMethod.Post, f => $"/v1/workers/{f.WorkerId}/leases", f => new() { ["projectId"] = f.ProjectId, ["waitSeconds"] = 0 }, HttpStatusCode.Created,
            [new("projectId", Kind.String), new("waitSeconds", Kind.Int)]),
        new("heartbeat", HttpMethod.Post, f => $"/v1/workers/{f.WorkerId}/leases/{f.LeaseId}/heartbeat", _ => new() { ["extendSeconds"] = 600 }, HttpStatusCode.OK,
            [new("extendSeconds", Kind.Int)]),
        new("submit", HttpMethod.Post, f => $"/v1/workers/{f.WorkerId}/leases/{f.LeaseId}/submit", _ => new() { ["result"] = "x" }, HttpStatusCode.OK, []),
        new("release", HttpMethod.Post, f => $"/v1/workers/{f.WorkerId}/leases/{f.LeaseId}/release", _ => new() { ["reason"] = "r" }, HttpStatusCode.OK,
            [new("reason", Kind.String)]),
    ];

    private static JsonObject FullProjectBody(string id) => new()
    {
        ["id"] = id,
        ["name"] = "Fuzz " + id,
        ["instructions"] = "Pick.",
        ["labelConfig"] = "<View/>",
        ["requirements"] = new JsonArray(new JsonObject { ["skill"] = "fz-skill", ["minLevel"] = 2 }),
        ["overlap"] = 2,
        ["leaseSeconds"] = 300,
        ["maxAttempts"] = 10,
        ["reward"] = 0.05m,
        ["priority"] = 0,
        ["quality"] = new JsonObject { ["minGolden"] = 5, ["minAccuracy"] = 0.8 },
        ["exam"] = new JsonObject { ["skill"] = "fz-exam", ["level"] = 2, ["passScore"] = 0.5 },
    };

    /// <summary>JSON texts of the wrong kind for a field of <paramref name="kind"/>.</summary>
    private static string[] WrongValues(Kind kind) => kind switch
    {
        Kind.String => ["5", "true", "[]", "{}", "1.5", "[\"a\"]", "{\"a\":\"b\"}"],
        Kind.Int => ["\"5\"", "1.5", "true", "[]", "{}", "\"x\"", "[1]", "1e400", "false"],
        Kind.Number => ["\"0.5\"", "true", "[]", "{}", "[0.5]", "false"],
        Kind.Array => ["{}", "\"x\"", "1", "true", "{\"0\":{}}"],
        Kind.Object => ["[]", "\"x\"", "1", "true", "[{}]"],
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static readonly string[] NonObjectBodies = ["[]", "\"x\"", "1", "true", "null", "[{}]", "\"{}\"", "-0"];

    /// <summary>Sets the member at <paramref name="path"/> (<c>a.b</c>, <c>a[0].b</c>) to <paramref name="value"/>.</summary>
    private static void Set(JsonObject body, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        JsonNode node = body;
        for (var i = 0; i < parts.Length; i++)
        {
            var (name, index) = SplitIndex(parts[i]);
            var last = i == parts.Length - 1;
            if (index is null)
            {
                if (last)
                {
                    node.AsObject()[name] = value;
                    return;
                }

                node = node[name]!;
            }
            else
            {
                var array = node[name]!.AsArray();
                if (last)
                {
                    array[index.Value] = value;
                    return;
                }

                node = array[index.Value]!;
            }
        }
    }

    private static (string Name, int? Index) SplitIndex(string part)
    {
        var bracket = part.IndexOf('[');
        return bracket < 0 ? (part, null) : (part[..bracket], int.Parse(part[(bracket + 1)..^1], CultureInfo.InvariantCulture));
    }

    // ------------------------------------------------------------------ sending and checking

    private async Task<ApiResponse> SendAsync(HttpClient client, HttpMethod method, string path, string? body, string context)
    {
        var response = _tally.Record(await client.SendTextAsync(method, path, body));
        response.Keeps(context);
        return response;
    }

    private async Task<ApiResponse> SendBytesAsync(HttpClient client, HttpMethod method, string path, byte[] body, string context)
    {
        var response = _tally.Record(await client.SendRawAsync(method, path, body));
        response.Keeps(context);
        return response;
    }

    private static void Expect(ApiResponse response, HttpStatusCode status, string? type, string context)
    {
        if (response.Status != status || (type is not null && response.ProblemType() != type))
        {
            throw new XunitException($"Expected {(int)status} {type} for {context}, got: {response}");
        }
    }

    private static void ExpectValidation(ApiResponse response, string context)
    {
        Expect(response, HttpStatusCode.BadRequest, "validation", context);
        if (JsonNode.Parse(response.Text)?["errors"] is not JsonObject { Count: > 0 })
        {
            throw new XunitException($"A validation problem without 'errors' for {context}: {response}");
        }
    }

    private void Report(string what)
    {
        output.WriteLine($"{what}: {_tally}");
        Console.WriteLine($"[FuzzTests] {what}: {_tally}");
    }

    private async Task<Fixture> SetUpAsync(int tasks = 1000)
    {
        var projectId = Fresh("fzp");
        await CreateProjectAsync(Admin, With(ProjectBody(projectId), """{"leaseSeconds":86400,"maxAttempts":1000}"""));
        await ImportAsync(Admin, projectId, SmallTasks(tasks));
        var spareProjectId = Fresh("fzq");
        await CreateProjectAsync(Admin, ProjectBody(spareProjectId));
        var workerId = Fresh("fzw");
        (await Admin.PostApiAsync("/v1/workers", new { id = workerId, maxActiveLeases = 1000 })).Is(HttpStatusCode.Created);
        var spareWorkerId = Fresh("fzw");
        (await Admin.PostApiAsync("/v1/workers", new { id = spareWorkerId })).Is(HttpStatusCode.Created);
        var lease = (await Admin.PostApiAsync($"/v1/workers/{workerId}/leases", new { projectId })).Is(HttpStatusCode.Created);
        return new Fixture(projectId, spareProjectId, workerId, spareWorkerId, lease["leaseId"]!.GetValue<string>());
    }

    // ------------------------------------------------------------------ 1. malformed JSON

    /// <summary>Ways to break a valid JSON object text so that no JSON parser may accept it.</summary>
    private static readonly (string Name, Func<string, int, string> Break)[] Malformations =
    [
        ("truncated", (s, k) => s[..(1 + (k % (s.Length - 1)))]),
        ("trailing comma", (s, _) => s[..^1] + ",}"),
        ("trailing comma in array", (s, _) => s[..^1] + ",\"zz\":[1,2,]}"),
        ("NaN", (s, _) => s[..^1] + ",\"zz\":NaN}"),
        ("Infinity", (s, _) => s[..^1] + ",\"zz\":-Infinity}"),
        ("single quotes", (s, _) => s.Replace('"', '\'')),
        ("comment", (s, _) => "/* hi */" + s),
        ("two documents", (s, _) => s + s),
        ("unquoted key", (s, _) => "{zz:1," + s[1..]),
        ("undefined", (s, _) => s[..^1] + ",\"zz\":undefined}"),
        ("hex number", (s, _) => s[..^1] + ",\"zz\":0x10}"),
        ("leading plus", (s, _) => s[..^1] + ",\"zz\":+1}"),
        ("leading zero", (s, _) => s[..^1] + ",\"zz\":007}"),
        ("raw tab in string", (s, _) => s[..^1] + ",\"zz\":\"a\tb\"}"),
        ("bad escape", (s, _) => s[..^1] + ",\"zz\":\"\\x41\"}"),
        ("missing colon", (s, _) => s[..^1] + ",\"zz\" 1}"),
        ("missing value", (s, _) => s[..^1] + ",\"zz\":}"),
        ("unclosed string", (s, _) => s[..^1] + ",\"zz\":\"abc}"),
        ("BOM then truncated", (s, k) => "\uFEFF" + s[..(1 + (k % (s.Length - 1)))]),
        ("extra closing brace", (s, _) => s + "}"),
        ("python literal", (s, _) => s[..^1] + ",\"zz\":True}"),
        ("only a brace", (_, _) => "{"),
        ("only garbage", (_, k) => new string('x', 1 + (k % 20))),
    ];

    [Fact]
    public async Task MalformedJson_ToAnyBody_Is400Validation()
    {
        var fixture = await SetUpAsync(tasks: 10);
        var gen = Gen.Select(Gen.Int[0, Endpoints.Length - 1], Gen.Int[0, Malformations.Length - 1], Gen.Int[0, 10_000]);

        await gen.SampleAsync(
            async (e, m, k) =>
            {
                var endpoint = Endpoints[e];
                var text = Malformations[m].Break(endpoint.Body(fixture).ToJsonString(), k);
                var response = await SendAsync(Admin, endpoint.Method, endpoint.Path(fixture), text, $"{endpoint.Name}, {Malformations[m].Name}");
                ExpectValidation(response, $"{endpoint.Name} with {Malformations[m].Name} body {text}");
            },
            iter: 300,
            threads: 4,
            print: t => $"{Endpoints[t.Item1].Name} / {Malformations[t.Item2].Name} / {t.Item3}");

        // A BOM before valid JSON: accepting it or refusing it are both fine; a 5xx is not.
        foreach (var endpoint in Endpoints.Where(e => e.Name is "create requester" or "create worker" or "create project"))
        {
            var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(endpoint.Body(fixture).ToJsonString())).ToArray();
            await SendBytesAsync(Admin, endpoint.Method, endpoint.Path(fixture), bytes, endpoint.Name + " with a BOM");
        }

        // Invalid UTF-8 inside a string a field must read: never valid.
        foreach (var (endpoint, field) in Endpoints.SelectMany(e => e.Fields.Where(f => f.Kind == Kind.String && !f.Path.Contains('[', StringComparison.Ordinal)).Select(f => (e, f))))
        {
            var body = endpoint.Body(fixture);
            Set(body, field.Path, "MARK");
            var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
            var text = Encoding.Latin1.GetString(bytes).Replace("MARK", "a\u00FF\u00FEb", StringComparison.Ordinal);
            var response = await SendBytesAsync(Admin, endpoint.Method, endpoint.Path(fixture), Encoding.Latin1.GetBytes(text), $"{endpoint.Name}.{field.Path} invalid UTF-8");
            ExpectValidation(response, $"{endpoint.Name} with invalid UTF-8 in {field.Path}");
        }

        // Nothing of all that reached the lease.
        Assert.Single((await Admin.GetApiAsync($"/v1/workers/{fixture.WorkerId}/leases")).Is(HttpStatusCode.OK)["items"]!.AsArray());
        Report("malformed JSON");
    }

    // ------------------------------------------------------------------ 2. wrong JSON types

    [Fact]
    public async Task WrongJsonType_ForAnyField_Is400Validation_AndChangesNothing()
    {
        var fixture = await SetUpAsync(tasks: 10);
        var cases = Endpoints.SelectMany(e => e.Fields.SelectMany(f => WrongValues(f.Kind).Concat(f.Required ? ["null"] : []).Select(v => (Endpoint: e, Field: f.Path, Value: v))))
            .Concat(Endpoints.SelectMany(e => NonObjectBodies.Select(v => (Endpoint: e, Field: "$", Value: v))))
            .ToArray();
        output.WriteLine($"{cases.Length} (endpoint, field, wrong value) cases");

        async Task CheckAsync(int i)
        {
            var (endpoint, field, value) = cases[i];
            string text;
            if (field == "$")
            {
                text = value;
            }
            else
            {
                var body = endpoint.Body(fixture);
                Set(body, field, JsonNode.Parse(value));
                text = body.ToJsonString();
            }

            var response = await SendAsync(Admin, endpoint.Method, endpoint.Path(fixture), text, $"{endpoint.Name} {field}={value}");
            ExpectValidation(response, $"{endpoint.Name} with {field} = {value}: {text}");
        }

        // Every case once, reporting all that fail, so that no field escapes and the report is complete.
        await AllAsync(Enumerable.Range(0, cases.Length), CheckAsync);

        // Then sampled, in parallel, as CsCheck does.
        await Gen.Int[0, cases.Length - 1].SampleAsync(
            CheckAsync,
            iter: 400,
            threads: 4,
            print: i => $"{cases[i].Endpoint.Name} {cases[i].Field} = {cases[i].Value}");

        // The bodies these broke are valid as they are: the fixture's lease is still active, the spare project empty.
        Assert.Single((await Admin.GetApiAsync($"/v1/workers/{fixture.WorkerId}/leases")).Is(HttpStatusCode.OK)["items"]!.AsArray());
        AssertCounts(await GetProjectAsync(Admin, fixture.SpareProjectId), total: 0, open: 0);
        var spare = await GetWorkerAsync(Admin, fixture.SpareWorkerId);
        Assert.Empty(spare["certifications"]!.AsArray());
        Assert.False(spare["blocked"]!.GetValue<bool>());
        Report("wrong JSON types");
    }

    // ------------------------------------------------------------------ 3. boundary numbers

    /// <summary>A numeric field with its range in docs/api.md; <c>Int</c> fields take JSON integers only.</summary>
    private sealed record Ranged(string Endpoint, string Field, Kind Kind, decimal Min, decimal Max);

    private static readonly Ranged[] RangedFields =
    [
        new("create project", "overlap", Kind.Int, 1, 100),
        new("create project", "leaseSeconds", Kind.Int, 1, 86_400),
        new("create project", "maxAttempts", Kind.Int, 1, 1000),
        new("create project", "priority", Kind.Int, int.MinValue, int.MaxValue),
        new("create project", "reward", Kind.Number, 0, 1_000_000),
        new("create project", "exam.passScore", Kind.Number, 0, 1),
        new("patch project", "priority", Kind.Int, int.MinValue, int.MaxValue),
        new("patch project", "reward", Kind.Number, 0, 1_000_000),
        new("patch project", "leaseSeconds", Kind.Int, 1, 86_400),
        new("patch project", "maxAttempts", Kind.Int, 1, 1000),
        new("create worker", "maxActiveLeases", Kind.Int, 1, 1000),
        new("certify", "level", Kind.Int, 1, 100),
        new("claim", "waitSeconds", Kind.Int, 0, 20),
        new("heartbeat", "extendSeconds", Kind.Int, 1, 86_400),
        new("import", "tasks[0].priority", Kind.Int, int.MinValue, int.MaxValue),
    ];

    private static readonly string[] BoundaryNumbers =
    [
        "0", "-1", "1", "2", "20", "21", "100", "101", "1000", "1001", "86400", "86401", "2147483647", "-2147483648",
        "2147483648", "-2147483649", "1e400", "-1e400", "1.5", "0.5", "0.05", "0.0001", "0.00001", "1000000", "1000000.0001", "99999999999999999999999999999999",
    ];

    [GeneratedRegex("^-?[0-9]+$")]
    private static partial Regex IntegerLiteral();

    private static bool Accepts(Ranged field, string literal)
    {
        if (field.Kind == Kind.Int)
        {
            return IntegerLiteral().IsMatch(literal) && int.TryParse(literal, CultureInfo.InvariantCulture, out var i) && i >= field.Min && i <= field.Max;
        }

        // Money (reward) is exact to a ten-thousandth.
        return decimal.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !literal.Contains('e', StringComparison.Ordinal) && d >= field.Min && d <= field.Max
            && (field.Field != "reward" || decimal.Round(d, 4) == d);
    }

    [Fact]
    public async Task BoundaryNumbers_AreAcceptedExactlyWithinApiRanges_AndStoredAsSent()
    {
        var fixture = await SetUpAsync(tasks: 1000);
        var gen = Gen.Select(Gen.Int[0, RangedFields.Length - 1], Gen.Int[0, BoundaryNumbers.Length - 1]);

        async Task CheckAsync(int f, int n)
        {
            var field = RangedFields[f];
            var literal = BoundaryNumbers[n];
            var endpoint = Endpoints.Single(e => e.Name == field.Endpoint);
            var path = endpoint.Path(fixture);
            if (field.Endpoint == "heartbeat")
            {
                // A fresh lease each time: a valid extendSeconds of 1 would expire the fixture's.
                var lease = (await Admin.PostApiAsync($"/v1/workers/{fixture.WorkerId}/leases", new { projectId = fixture.ProjectId })).Is(HttpStatusCode.Created);
                path = $"/v1/workers/{fixture.WorkerId}/leases/{lease["leaseId"]!.GetValue<string>()}/heartbeat";
            }

            var body = endpoint.Body(fixture);
            Set(body, field.Field, JsonValue.Create(0));
            var text = body.ToJsonString().Replace($"\"{LastName(field.Field)}\":0", $"\"{LastName(field.Field)}\":{literal}", StringComparison.Ordinal);
            var before = DateTimeOffset.UtcNow;
            var response = await SendAsync(Admin, endpoint.Method, path, text, $"{endpoint.Name} {field.Field}={literal}");
            var context = $"{endpoint.Name} with {field.Field} = {literal} (docs/api.md range {field.Min}..{field.Max}): {text}";
            if (!Accepts(field, literal))
            {
                ExpectValidation(response, context);
                return;
            }

            Expect(response, endpoint.Success, null, context);
            var answer = response.Json;
            var echoed = field.Endpoint switch
            {
                "create project" or "patch project" => field.Field == "exam.passScore" ? answer["exam"]!["passScore"] : answer[field.Field],
                "create worker" => (await GetWorkerAsync(Admin, body["id"]!.GetValue<string>()))["maxActiveLeases"],
                "certify" => answer["certifications"]!.AsArray().Single(c => c!["skill"]!.GetValue<string>() == "fz-skill")!["level"],
                "import" => (await Admin.GetApiAsync($"/v1/projects/{fixture.SpareProjectId}/tasks/{answer["ids"]![0]!.GetValue<string>()}")).Is(HttpStatusCode.OK)["priority"],
                _ => null,
            };
            if (echoed is not null)
            {
                var expected = decimal.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture);
                var actual = decimal.Parse(echoed.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
                Assert.True(expected == actual, $"{context}: stored {actual}, sent {literal}: {response}");
            }

            if (field.Endpoint == "heartbeat")
            {
                var expiresAt = ApiAssert.IsUtcTimestamp(answer["expiresAt"], "expiresAt");
                var seconds = int.Parse(literal, CultureInfo.InvariantCulture);
                Assert.True(
                    expiresAt >= before.AddSeconds(seconds) - TimeSpan.FromSeconds(2) && expiresAt <= DateTimeOffset.UtcNow.AddSeconds(seconds) + TimeSpan.FromSeconds(2),
                    $"{context}: expiresAt {expiresAt:O} is not now + {seconds} s: {response}");
            }
        }

        await gen.SampleAsync(CheckAsync, iter: 200, threads: 4, print: t => $"{RangedFields[t.Item1].Endpoint} {RangedFields[t.Item1].Field} = {BoundaryNumbers[t.Item2]}");

        // And each boundary of each field once.
        for (var f = 0; f < RangedFields.Length; f++)
        {
            for (var n = 0; n < BoundaryNumbers.Length; n++)
            {
                await CheckAsync(f, n);
            }
        }

        Report("boundary numbers");
    }

    private static string LastName(string path) => path.Split('.')[^1];

    /// <summary>Runs <paramref name="check"/> on every item and fails once, quoting every failure.</summary>
    private async Task AllAsync<T>(IEnumerable<T> items, Func<T, Task> check)
    {
        var failures = new List<string>();
        foreach (var item in items)
        {
            try
            {
                await check(item);
            }
            catch (XunitException e)
            {
                failures.Add(e.Message);
            }
        }

        if (failures.Count > 0)
        {
            Report("(failed)");
            throw new XunitException($"{failures.Count} cases failed:{Environment.NewLine}" + string.Join(Environment.NewLine, failures.Select(f => " - " + f)));
        }
    }

    // ------------------------------------------------------------------ 4. deep and huge bodies

    private static string Nested(int depth, string open = "[", string close = "]", string inner = "1")
    {
        var text = new StringBuilder(depth * 2 + inner.Length);
        for (var i = 0; i < depth; i++)
        {
            text.Append(open);
        }

        text.Append(inner);
        for (var i = 0; i < depth; i++)
        {
            text.Append(close);
        }

        return text.ToString();
    }

    [Fact]
    public async Task DeeplyNestedBodies_AreRefusedOrServedBack_NeverA5xx()
    {
        var fixture = await SetUpAsync(tasks: 5);
        var deepArray = Nested(10_000);
        var deepObject = Nested(10_000, "{\"a\":", "}");

        // As a task payload (20 KiB, under the 64 KiB limit): refusing the depth is fine, storing it is too, but
        // then the task must read back as sent.
        foreach (var (name, deep) in new[] { ("array", deepArray), ("object", deepObject) })
        {
            var taskId = Fresh("deep");
            var import = await SendAsync(Admin, HttpMethod.Post, $"/v1/projects/{fixture.SpareProjectId}/tasks", $$$"""{"tasks":[{"id":"{{{taskId}}}","payload":{{{deep}}}}]}""", "deep payload " + name);
            if (import.Status == HttpStatusCode.OK)
            {
                var view = await SendAsync(Admin, HttpMethod.Get, $"/v1/projects/{fixture.SpareProjectId}/tasks/{taskId}", null, "deep payload read");
                Expect(view, HttpStatusCode.OK, null, "reading a task whose deep payload was accepted");
                Assert.True(view.Text.Contains(deep, StringComparison.Ordinal), "the deep payload did not read back as sent");
            }
            else
            {
                ExpectValidation(import, "a payload nested 10,000 deep");
            }

            // In a field that wants a string or an array of objects: never accepted.
            ExpectValidation(await SendAsync(Admin, HttpMethod.Post, "/v1/requesters", $$$"""{"id":"{{{Fresh("deep")}}}","name":{{{deep}}}}""", "deep name"), "a name nested 10,000 deep");
            ExpectValidation(await SendAsync(Admin, HttpMethod.Post, "/v1/projects", $$$"""{"id":"{{{Fresh("deep")}}}","requirements":{{{deep}}}}""", "deep requirements"), "requirements nested 10,000 deep");
            ExpectValidation(await SendAsync(Admin, HttpMethod.Post, $"/v1/workers/{fixture.WorkerId}/leases", deep, "deep claim"), "a claim body nested 10,000 deep");

            // In an unknown field: ignoring it or refusing the depth are both fine.
            var unknown = await SendAsync(Admin, HttpMethod.Patch, $"/v1/projects/{fixture.SpareProjectId}", $$$"""{"zz":{{{deep}}}}""", "deep unknown field");
            Assert.True(unknown.Status is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"an unknown field nested 10,000 deep: {unknown}");
        }

        // As a submission result on the fixture's lease: refused, or stored and served back.
        var submit = await SendAsync(Admin, HttpMethod.Post, $"/v1/workers/{fixture.WorkerId}/leases/{fixture.LeaseId}/submit", $$$"""{"result":{{{deepArray}}}}""", "deep result");
        if (submit.Status == HttpStatusCode.OK)
        {
            var results = await SendAsync(Admin, HttpMethod.Get, $"/v1/projects/{fixture.ProjectId}/results", null, "results after a deep submission");
            Expect(results, HttpStatusCode.OK, null, "reading results after a deep submission was accepted");
            Assert.True(results.Text.Contains(deepArray, StringComparison.Ordinal), "the deep result did not read back as sent");
        }
        else
        {
            ExpectValidation(submit, "a result nested 10,000 deep");
        }

        Report("deep bodies");
    }

    [Fact]
    public async Task HugeBodies_AreRefusedWithTheContractsAnswer_AndStoreNothing()
    {
        var fixture = await SetUpAsync(tasks: 5);
        var importPath = $"/v1/projects/{fixture.SpareProjectId}/tasks";

        // 20 MiB import (over the 16 MiB limit of the whole call): 413 too-large.
        var filler = new string('x', 1000);
        var tasks = new StringBuilder("{\"tasks\":[");
        var n = 0;
        while (tasks.Length < 20 * MiB)
        {
            tasks.Append(n == 0 ? "" : ",").Append($$"""{"id":"big-{{n}}","payload":"{{filler}}"}""");
            n++;
        }

        tasks.Append("]}");
        Expect(await SendAsync(Admin, HttpMethod.Post, importPath, tasks.ToString(), "20 MiB import"), HttpStatusCode.RequestEntityTooLarge, "too-large", "a 20 MiB import");

        // 10,001 small tasks (under 16 MiB): 413 too-large too, a limit of the whole call.
        Expect(await SendAsync(Admin, HttpMethod.Post, importPath, $$$"""{"tasks":{{{SmallTasks(10_001, "many")}}}}""", "10,001 tasks"), HttpStatusCode.RequestEntityTooLarge, "too-large", "an import of 10,001 tasks");

        // Exactly 10,000 is fine.
        var ok = await SendAsync(Admin, HttpMethod.Post, importPath, $$$"""{"tasks":{{{SmallTasks(10_000, "ok")}}}}""", "10,000 tasks");
        Assert.Equal(10_000, ok.Is(HttpStatusCode.OK)["created"]!.GetValue<int>());

        // One 1 MiB payload among small ones: a limit of one item, 400 validation, and none of the call is stored.
        var oneMiB = new string('p', MiB);
        ExpectValidation(
            await SendAsync(Admin, HttpMethod.Post, importPath, $$"""{"tasks":[{"id":"small-a","payload":1},{"id":"huge","payload":"{{oneMiB}}"}]}""", "1 MiB payload"),
            "an import with one 1 MiB payload");

        // Payload at exactly 64 KiB of JSON is accepted, one byte more is not.
        var exact = "\"" + new string('e', (64 * KiB) - 2) + "\"";
        Assert.Equal(1, (await SendAsync(Admin, HttpMethod.Post, importPath, $$$"""{"tasks":[{"id":"exact","payload":{{{exact}}}}]}""", "64 KiB payload")).Is(HttpStatusCode.OK)["created"]!.GetValue<int>());
        var over = "\"" + new string('e', (64 * KiB) - 1) + "\"";
        ExpectValidation(await SendAsync(Admin, HttpMethod.Post, importPath, $$$"""{"tasks":[{"id":"over","payload":{{{over}}}}]}""", "64 KiB + 1 payload"), "a payload of 64 KiB + 1 byte");
        AssertCounts(await GetProjectAsync(Admin, fixture.SpareProjectId), total: 10_001, open: 10_001);
        (await Admin.GetApiAsync($"/v1/projects/{fixture.SpareProjectId}/tasks/small-a")).IsProblem(HttpStatusCode.NotFound, "not-found");

        // 1 MiB strings in the small bodies: refused (too large or invalid), and nothing is created.
        var requesterId = Fresh("huge");
        var refused = await SendAsync(Admin, HttpMethod.Post, "/v1/requesters", $$"""{"id":"{{requesterId}}","name":"{{oneMiB}}"}""", "1 MiB requester name");
        Assert.True(refused.Status is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"a 1 MiB name: {refused}");
        (await Admin.PostApiAsync("/v1/requesters", new { id = requesterId, name = "small" })).Is(HttpStatusCode.Created);
        var projectId = Fresh("huge");
        var refusedProject = await SendAsync(Admin, HttpMethod.Post, "/v1/projects", $$"""{"id":"{{projectId}}","instructions":"{{oneMiB}}"}""", "1 MiB instructions");
        Assert.True(refusedProject.Status is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"1 MiB instructions: {refusedProject}");
        (await Admin.GetApiAsync($"/v1/projects/{projectId}")).IsProblem(HttpStatusCode.NotFound, "not-found");
        var instructionsOver = new string('i', (64 * KiB) + 1);
        ExpectValidation(await SendAsync(Admin, HttpMethod.Post, "/v1/projects", $$"""{"id":"{{projectId}}","instructions":"{{instructionsOver}}"}""", "64 KiB + 1 instructions"), "instructions of 64 KiB + 1");

        // A 1 MiB result: over the 64 KiB item limit; refused and the lease stays active.
        var refusedResult = await SendAsync(Admin, HttpMethod.Post, $"/v1/workers/{fixture.WorkerId}/leases/{fixture.LeaseId}/submit", $$"""{"result":"{{oneMiB}}"}""", "1 MiB result");
        Assert.True(refusedResult.Status is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"a 1 MiB result: {refusedResult}");
        var resultOver = "\"" + new string('r', (64 * KiB) - 1) + "\"";
        ExpectValidation(await SendAsync(Admin, HttpMethod.Post, $"/v1/workers/{fixture.WorkerId}/leases/{fixture.LeaseId}/submit", $$$"""{"result":{{{resultOver}}}}""", "64 KiB + 1 result"), "a result of 64 KiB + 1 byte");
        Assert.Single((await Admin.GetApiAsync($"/v1/workers/{fixture.WorkerId}/leases")).Is(HttpStatusCode.OK)["items"]!.AsArray());

        // A 2 MiB claim body: too large for any small call.
        var bigClaim = await SendAsync(Admin, HttpMethod.Post, $"/v1/workers/{fixture.WorkerId}/leases", $$"""{"projectId":"{{fixture.ProjectId}}","zz":"{{new string('c', 2 * MiB)}}"}""", "2 MiB claim");
        Assert.True(bigClaim.Status is HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.Created, $"a 2 MiB claim body (an unknown field): {bigClaim}");
        Report("huge bodies");
    }

    // ------------------------------------------------------------------ 5. odd Unicode in ids and path segments

    private static readonly string[] OddPieces =
    [
        "\u0000", "\u202E", "\u200F", "\u200B", "\U0001F600", "\uD800", "\uDC00", "/", "%2F", "%", " ", "é", "\uFEFF", "\n",
        "a\u0301", "\uFF21", "\u0130", "?", "#", "\\", "\u00A0", "\u2028", "\"", "'", "<", "*", "~", "+", "=", ":", "@",
    ];

    /// <summary>An id the contract refuses: a valid id with an odd piece in it, a 65-character id, or a bad start.</summary>
    private static readonly Gen<string> OddIds = Gen.Frequency<string>(
        (8, Gen.Select(Gen.Int[0, OddPieces.Length - 1], Gen.Int[0, 6], (p, at) => "ab-cd.ef"[..Math.Min(at, 8)] + OddPieces[p] + "ab-cd.ef"[Math.Min(at, 8)..])),
        (1, Gen.Int[65, 80].Select(n => "x" + new string('y', n - 1))),
        (1, Gen.OneOf("-x", ".x", "_x", "", "..", ".", "\U0001F600", "日本", "\u0000")));

    private static readonly Regex ValidId = new("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant);

    /// <summary>JSON string text that escapes everything but printable ASCII, lone surrogates included.</summary>
    private static string JsonString(string value, bool rawNonAscii)
    {
        var text = new StringBuilder("\"");
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var pair = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]);
            if (c is '"' or '\\')
            {
                text.Append('\\').Append(c);
            }
            else if (c >= 0x20 && c < 0x7F)
            {
                text.Append(c);
            }
            else if (rawNonAscii && c >= 0xA0 && !char.IsSurrogate(c))
            {
                text.Append(c);
            }
            else if (rawNonAscii && pair)
            {
                text.Append(c).Append(value[++i]);
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
        }

        return text.Append('"').ToString();
    }

    /// <summary>Percent-encodes an id as a path segment, keeping a literal <c>%2F</c> and raw slashes where the id has them, lone surrogates as WTF-8.</summary>
    private static string PathSegment(string id)
    {
        var text = new StringBuilder();
        for (var i = 0; i < id.Length; i++)
        {
            var c = id[i];
            if (c == '/' || (c == '%' && i + 2 < id.Length && id[i + 1] == '2' && id[i + 2] == 'F'))
            {
                text.Append(c);
                continue;
            }

            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~')
            {
                text.Append(c);
                continue;
            }

            byte[] bytes;
            if (char.IsHighSurrogate(c) && i + 1 < id.Length && char.IsLowSurrogate(id[i + 1]))
            {
                bytes = Encoding.UTF8.GetBytes(id.Substring(i++, 2));
            }
            else if (char.IsSurrogate(c))
            {
                // WTF-8: the three-byte form a UTF-8 encoder refuses to make.
                bytes = [(byte)(0xE0 | (c >> 12)), (byte)(0x80 | ((c >> 6) & 0x3F)), (byte)(0x80 | (c & 0x3F))];
            }
            else
            {
                bytes = Encoding.UTF8.GetBytes(c.ToString());
            }

            foreach (var b in bytes)
            {
                text.Append(CultureInfo.InvariantCulture, $"%{b:X2}");
            }
        }

        return text.ToString();
    }

    [Fact]
    public async Task OddUnicodeIds_InBodies_Are400Validation()
    {
        var fixture = await SetUpAsync(tasks: 5);
        (string Name, HttpMethod Method, Func<string> Path, Func<string, string> Body)[] targets =
        [
            ("requester id", HttpMethod.Post, () => "/v1/requesters", id => $$"""{"id":{{id}},"name":"n"}"""),
            ("worker id", HttpMethod.Post, () => "/v1/workers", id => $$$"""{"id":{{{id}}}}"""),
            ("project id", HttpMethod.Post, () => "/v1/projects", id => $$$"""{"id":{{{id}}}}"""),
            ("requirement skill", HttpMethod.Post, () => "/v1/projects", id => $$"""{"id":"{{Fresh("uni")}}","requirements":[{"skill":{{id}},"minLevel":1}]}"""),
            ("exam skill", HttpMethod.Post, () => "/v1/projects", id => $$$"""{"id":"{{{Fresh("uni")}}}","exam":{"skill":{{{id}}},"level":1,"passScore":0.5}}"""),
            ("task id", HttpMethod.Post, () => $"/v1/projects/{fixture.SpareProjectId}/tasks", id => $$"""{"tasks":[{"id":{{id}},"payload":1}]}"""),
            ("claim projectId", HttpMethod.Post, () => $"/v1/workers/{fixture.WorkerId}/leases", id => $$$"""{"projectId":{{{id}}}}"""),
        ];
        var gen = Gen.Select(Gen.Int[0, targets.Length - 1], OddIds, Gen.Bool);

        await gen.SampleAsync(
            async (t, id, raw) =>
            {
                if (ValidId.IsMatch(id))
                {
                    return;
                }

                var target = targets[t];
                var body = target.Body(JsonString(id, raw));
                var response = await SendAsync(Admin, target.Method, target.Path(), body, $"{target.Name} {Escape(id)}");
                ExpectValidation(response, $"{target.Name} '{Escape(id)}': {body}");
            },
            iter: 400,
            threads: 4,
            print: t => $"{targets[t.Item1].Name} '{Escape(t.Item2)}' raw={t.Item3}");

        AssertCounts(await GetProjectAsync(Admin, fixture.SpareProjectId), total: 0, open: 0);
        Assert.Single((await Admin.GetApiAsync($"/v1/workers/{fixture.WorkerId}/leases")).Is(HttpStatusCode.OK)["items"]!.AsArray());
        Report("odd Unicode ids in bodies");
    }

    [Fact]
    public async Task OddUnicodeIds_InPathSegments_Are400Or404Problems()
    {
        var fixture = await SetUpAsync(tasks: 5);
        (string Name, HttpMethod Method, Func<string, string> Path, string? Body)[] targets =
        [
            ("get project", HttpMethod.Get, s => $"/v1/projects/{s}", null),
            ("patch project", HttpMethod.Patch, s => $"/v1/projects/{s}", "{}"),
            ("import", HttpMethod.Post, s => $"/v1/projects/{s}/tasks", """{"tasks":[{"payload":1}]}"""),
            ("list tasks", HttpMethod.Get, s => $"/v1/projects/{s}/tasks", null),
            ("results", HttpMethod.Get, s => $"/v1/projects/{s}/results", null),
            ("get task", HttpMethod.Get, s => $"/v1/projects/{fixture.ProjectId}/tasks/{s}", null),
            ("retry task", HttpMethod.Post, s => $"/v1/projects/{fixture.ProjectId}/tasks/{s}/retry", null),
            ("get worker", HttpMethod.Get, s => $"/v1/workers/{s}", null),
            ("certify skill", HttpMethod.Put, s => $"/v1/workers/{fixture.SpareWorkerId}/certifications/{s}", """{"level":1}"""),
            ("revoke skill", HttpMethod.Delete, s => $"/v1/workers/{fixture.SpareWorkerId}/certifications/{s}", null),
            ("block worker", HttpMethod.Post, s => $"/v1/workers/{s}/block", "{}"),
            ("claim as worker", HttpMethod.Post, s => $"/v1/workers/{s}/leases", "{}"),
            ("list leases", HttpMethod.Get, s => $"/v1/workers/{s}/leases", null),
            ("heartbeat lease", HttpMethod.Post, s => $"/v1/workers/{fixture.WorkerId}/leases/{s}/heartbeat", "{}"),
            ("submit lease", HttpMethod.Post, s => $"/v1/workers/{fixture.WorkerId}/leases/{s}/submit", """{"result":1}"""),
            ("release lease", HttpMethod.Post, s => $"/v1/workers/{fixture.WorkerId}/leases/{s}/release", "{}"),
        ];
        async Task CheckAsync(int t, string id)
        {
            // "." and ".." are resolved by the client's URI rules before any server sees them. A NUL in a path is
            // refused by Kestrel itself with a bare 400 before any application code runs: out of Dispatch's reach.
            if (ValidId.IsMatch(id) || id.Length == 0 || id is "." or ".." || id.Contains('\0'))
            {
                return;
            }

            var target = targets[t];
            var path = target.Path(PathSegment(id));
            var response = await SendAsync(Admin, target.Method, path, target.Body, $"{target.Name} {path}");
            Assert.True(
                response.Status is HttpStatusCode.BadRequest or HttpStatusCode.NotFound,
                $"{target.Name} with the id '{Escape(id)}' should be 400 validation or 404 not-found: {response}");
        }

        // Each odd piece in each path once, reporting all that fail; then sampled.
        await AllAsync(
            Enumerable.Range(0, targets.Length).SelectMany(t => OddPieces.Select(p => (t, "ab" + p + "cd"))),
            c => CheckAsync(c.t, c.Item2));
        await Gen.Select(Gen.Int[0, targets.Length - 1], OddIds).SampleAsync(
            CheckAsync,
            iter: 400,
            threads: 4,
            print: t => $"{targets[t.Item1].Name} '{Escape(t.Item2)}' as {targets[t.Item1].Path(PathSegment(t.Item2))}");

        // Lease ids the server makes are uppercase letters and digits; a lowercase or longer one names no lease.
        foreach (var leaseId in new[] { fixture.LeaseId.ToLowerInvariant(), fixture.LeaseId + "0", new string('A', 65), "A%2FB", "%20" + fixture.LeaseId })
        {
            var response = await SendAsync(Admin, HttpMethod.Post, $"/v1/workers/{fixture.WorkerId}/leases/{leaseId}/heartbeat", "{}", "odd lease id");
            Assert.True(response.Status is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"lease id '{leaseId}': {response}");
        }

        Assert.Single((await Admin.GetApiAsync($"/v1/workers/{fixture.WorkerId}/leases")).Is(HttpStatusCode.OK)["items"]!.AsArray());
        var spare = await GetWorkerAsync(Admin, fixture.SpareWorkerId);
        Assert.Empty(spare["certifications"]!.AsArray());
        Report("odd Unicode ids in paths");
    }

    private static string Escape(string id) =>
        string.Concat(id.Select(c => c >= 0x20 && c < 0x7F ? c.ToString() : $"\\u{(int)c:x4}"));

    // ------------------------------------------------------------------ 6. unknown fields

    private static readonly Gen<(string Name, string Value)> UnknownMembers = Gen.Select(
        Gen.OneOf("zz", "x-extra", "Ïd", "__proto__", "$type", "constructor", "id ", "", "\u0000", "idd", "projectIdd", "tasks2"),
        Gen.OneOf("1", "\"s\"", "null", "true", "[]", "{}", "[{\"a\":[null]}]", "{\"$type\":\"System.IO.FileInfo\"}", "1e400", "-0.0"));

    [Fact]
    public async Task UnknownFields_DoNotChangeTheAnswer()
    {
        var fixture = await SetUpAsync(tasks: 200);
        var candidates = Endpoints.Where(e => e.Name is not ("submit" or "release" or "heartbeat" or "block" or "unblock")).ToArray();
        var gen = Gen.Select(Gen.Int[0, candidates.Length - 1], UnknownMembers.Array[1, 4]);

        await gen.SampleAsync(
            async (e, members) =>
            {
                var endpoint = candidates[e];
                var body = endpoint.Name == "create project" ? With(FullProjectBody(Fresh("fzp")), """{"exam":null}""") : endpoint.Body(fixture);
                var text = new StringBuilder(body.ToJsonString()[..^1]);
                foreach (var (name, value) in members.DistinctBy(m => m.Name))
                {
                    text.Append(',').Append(JsonString(name, rawNonAscii: false)).Append(':').Append(value);
                }

                text.Append('}');
                var response = await SendAsync(Admin, endpoint.Method, endpoint.Path(fixture), text.ToString(), endpoint.Name + " with unknown members");
                Expect(response, endpoint.Success, null, $"{endpoint.Name} with unknown members (a valid body otherwise): {text}");
            },
            iter: 80,
            threads: 4,
            print: t => $"{candidates[t.Item1].Name} + {string.Join(", ", t.Item2.Select(m => $"{Escape(m.Name)}={m.Value}"))}");

        Report("unknown fields");
    }

    // ------------------------------------------------------------------ 7. random requester sequences against a model

    private static readonly int?[] Overlaps = [null, 0, 1, 2, 100, 101];
    private static readonly int?[] LeaseSecondsOptions = [null, 0, 1, 600, 86_400, 86_401];
    private static readonly int?[] MaxAttemptsOptions = [null, 0, 1, 5, 1000, 1001];
    private static readonly decimal?[] Rewards = [null, 0m, 0.25m, -0.5m, 3m];
    private static readonly int?[] Priorities = [null, 0, -3, 42, int.MaxValue, int.MinValue];
    private static readonly string?[] Statuses = [null, "open", "paused", "closed", "bogus", "OPEN"];
    private static readonly string[] Payloads = ["{\"n\":1}", "{\"n\":2}", "[\"x\",null]"];

    /// <summary>A requester call of the sequence; <c>R</c> is the requester (0 or 1), <c>P</c> the project (of 4 ids).</summary>
    private abstract record Op(int R, int P);

    private sealed record CreateOp(int R, int P, int Overlap, int Lease, int Attempts, int Reward, int Priority) : Op(R, P)
    {
        public override string ToString() =>
            $"R{R} create p{P} overlap={Overlaps[Overlap]} leaseSeconds={LeaseSecondsOptions[Lease]} maxAttempts={MaxAttemptsOptions[Attempts]} reward={Rewards[Reward]} priority={Priorities[Priority]}";
    }

    /// <summary>Tasks as (task id index or -1 for a generated one, payload index; payload -1 leaves it out).</summary>
    private sealed record ImportOp(int R, int P, (int Id, int Payload)[] Tasks) : Op(R, P)
    {
        public override string ToString() => $"R{R} import p{P} [{string.Join(", ", Tasks.Select(t => $"{(t.Id < 0 ? "gen" : "t" + t.Id)}:{(t.Payload < 0 ? "no payload" : Payloads[t.Payload])}"))}]";
    }

    private sealed record PatchOp(int R, int P, int Status, int Priority, int Reward, int Lease, int Attempts) : Op(R, P)
    {
        public override string ToString() =>
            $"R{R} patch p{P} status={Statuses[Status]} priority={Priorities[Priority]} reward={Rewards[Reward]} leaseSeconds={LeaseSecondsOptions[Lease]} maxAttempts={MaxAttemptsOptions[Attempts]}";
    }

    private sealed record ReadOp(int R, int P) : Op(R, P)
    {
        public override string ToString() => $"R{R} get p{P}";
    }

    private static readonly Gen<Op> Ops = Gen.Frequency<Op>(
        (3, Gen.Select(Gen.Int[0, 1], Gen.Int[0, 3], Gen.Int[0, Overlaps.Length - 1], Gen.Int[0, LeaseSecondsOptions.Length - 1], Gen.Int[0, MaxAttemptsOptions.Length - 1], Gen.Int[0, Rewards.Length - 1], Gen.Int[0, Priorities.Length - 1])
            .Select(t => (Op)new CreateOp(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7))),
        (4, Gen.Select(Gen.Int[0, 1], Gen.Int[0, 3], Gen.Select(Gen.Int[-1, 4], Gen.Frequency<int>((12, Gen.Int[0, Payloads.Length - 1]), (1, Gen.Const(-1)))).Array[1, 4])
            .Select((r, p, tasks) => (Op)new ImportOp(r, p, [.. tasks.Where(t => t.Item1 < 0).Concat(tasks.Where(t => t.Item1 >= 0).DistinctBy(t => t.Item1))]))),
        (3, Gen.Select(Gen.Int[0, 1], Gen.Int[0, 3], Gen.Int[0, Statuses.Length - 1], Gen.Int[0, Priorities.Length - 1], Gen.Int[0, Rewards.Length - 1], Gen.Int[0, LeaseSecondsOptions.Length - 1], Gen.Int[0, MaxAttemptsOptions.Length - 1])
            .Select(t => (Op)new PatchOp(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7))),
        (1, Gen.Select(Gen.Int[0, 1], Gen.Int[0, 3]).Select((r, p) => (Op)new ReadOp(r, p))));

    private sealed class ModelProject(int owner)
    {
        public int Owner { get; } = owner;

        public int Overlap { get; set; } = 1;

        public int LeaseSeconds { get; set; } = 300;

        public int MaxAttempts { get; set; } = 10;

        public decimal Reward { get; set; }

        public int Priority { get; set; }

        public string Status { get; set; } = "open";

        public Dictionary<string, string> Tasks { get; } = new(StringComparer.Ordinal);
    }

    [Fact]
    public async Task RandomRequesterSequences_LeaveTheStateASmallModelPredicts()
    {
        await Ops.List[1, 14].SampleAsync(
            async ops =>
            {
                var prefix = Fresh("seq")[..16];
                var requesters = new[] { await NewRequesterAsync(), await NewRequesterAsync() };
                var model = new Dictionary<string, ModelProject>(StringComparer.Ordinal);
                var log = new List<string>();
                string Id(int p) => $"{prefix}-p{p}";
                try
                {
                    foreach (var op in ops)
                    {
                        log.Add(op.ToString()!);
                        await ApplyAsync(op, requesters[op.R].Client, Id(op.P), model, log);
                    }

                    await CompareAsync(requesters, model);
                }
                catch (Exception e) when (e is XunitException or InvalidOperationException or NullReferenceException)
                {
                    throw new XunitException($"After:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", log)}{Environment.NewLine}{e.Message}");
                }
                finally
                {
                    foreach (var requester in requesters)
                    {
                        requester.Client.Dispose();
                    }
                }
            },
            iter: 40,
            threads: 4,
            print: ops => Environment.NewLine + string.Join(Environment.NewLine, ops));
        Report("random requester sequences");
    }

    /// <summary>A requester with a client of its own (the base class's client list is not for parallel samples).</summary>
    private async Task<Requester> NewRequesterAsync()
    {
        var id = Fresh("fzr");
        var key = (await Admin.PostApiAsync("/v1/requesters", new { id, name = id })).Is(HttpStatusCode.Created)["apiKey"]!.GetValue<string>();
        return new Requester(id, id, key, Host.CreateClient(key));
    }

    private async Task ApplyAsync(Op op, HttpClient client, string projectId, Dictionary<string, ModelProject> model, List<string> log)
    {
        model.TryGetValue(projectId, out var project);
        var visible = project is not null && project.Owner == op.R;
        switch (op)
        {
            case CreateOp create:
            {
                var body = ProjectBody(projectId);
                SetIf(body, "overlap", Overlaps[create.Overlap]);
                SetIf(body, "leaseSeconds", LeaseSecondsOptions[create.Lease]);
                SetIf(body, "maxAttempts", MaxAttemptsOptions[create.Attempts]);
                SetIf(body, "reward", Rewards[create.Reward]);
                SetIf(body, "priority", Priorities[create.Priority]);
                var valid = Overlaps[create.Overlap] is null or (>= 1 and <= 100) && ValidLease(LeaseSecondsOptions[create.Lease])
                    && ValidAttempts(MaxAttemptsOptions[create.Attempts]) && Rewards[create.Reward] is null or >= 0;
                var response = await SendAsync(client, HttpMethod.Post, "/v1/projects", body.ToJsonString(), create.ToString());
                log.Add($"    -> {(int)response.Status} {response.ProblemType()}");
                if (!valid)
                {
                    if (!(project is not null && response.Status == HttpStatusCode.Conflict))
                    {
                        ExpectValidation(response, create.ToString());
                    }

                    return;
                }

                if (project is not null)
                {
                    Expect(response, HttpStatusCode.Conflict, "conflict", create + " (the id exists)");
                    return;
                }

                Expect(response, HttpStatusCode.Created, null, create.ToString());
                var created = new ModelProject(op.R)
                {
                    Overlap = Overlaps[create.Overlap] ?? 1,
                    LeaseSeconds = LeaseSecondsOptions[create.Lease] ?? 300,
                    MaxAttempts = MaxAttemptsOptions[create.Attempts] ?? 10,
                    Reward = Rewards[create.Reward] ?? 0m,
                    Priority = Priorities[create.Priority] ?? 0,
                };
                model[projectId] = created;
                CompareView(projectId, created, response.Json, create.ToString());
                return;
            }

            case ImportOp import:
            {
                var tasks = new JsonArray();
                foreach (var (id, payload) in import.Tasks)
                {
                    var task = new JsonObject();
                    if (id >= 0)
                    {
                        task["id"] = "t" + id;
                    }

                    if (payload >= 0)
                    {
                        task["payload"] = JsonNode.Parse(Payloads[payload]);
                    }

                    tasks.Add(task);
                }

                var response = await SendAsync(client, HttpMethod.Post, $"/v1/projects/{projectId}/tasks", new JsonObject { ["tasks"] = tasks }.ToJsonString(), import.ToString());
                log.Add($"    -> {(int)response.Status} {response.ProblemType()}");
                if (!visible)
                {
                    if (!(import.Tasks.Any(t => t.Payload < 0) && response.Status == HttpStatusCode.BadRequest))
                    {
                        Expect(response, HttpStatusCode.NotFound, "not-found", import + " (not the caller's project)");
                    }

                    return;
                }

                if (import.Tasks.Any(t => t.Payload < 0))
                {
                    ExpectValidation(response, import + " (a task without payload)");
                    return;
                }

                var clash = import.Tasks.Any(t => t.Id >= 0 && project!.Tasks.TryGetValue("t" + t.Id, out var stored) && stored != Payloads[t.Payload]);
                if (clash)
                {
                    Expect(response, HttpStatusCode.Conflict, "conflict", import + " (a known id with another payload)");
                    return;
                }

                if (project!.Status == "closed" && response.Status == HttpStatusCode.Conflict)
                {
                    // docs/api.md does not say whether a closed project takes new tasks; refusing them is fine.
                    return;
                }

                var answer = response.Is(HttpStatusCode.OK);
                var ids = answer["ids"]!.AsArray().Select(i => i!.GetValue<string>()).ToList();
                Assert.Equal(import.Tasks.Length, ids.Count);
                var existing = 0;
                for (var i = 0; i < import.Tasks.Length; i++)
                {
                    var (id, payload) = import.Tasks[i];
                    if (id < 0)
                    {
                        Assert.True(GeneratedIdPattern().IsMatch(ids[i]), $"generated id '{ids[i]}' is not 1..64 uppercase letters and digits: {response}");
                        Assert.False(project.Tasks.ContainsKey(ids[i]), $"generated id '{ids[i]}' was already a task: {response}");
                    }
                    else
                    {
                        Assert.Equal("t" + id, ids[i]);
                        existing += project.Tasks.ContainsKey(ids[i]) ? 1 : 0;
                    }

                    project.Tasks[ids[i]] = Payloads[payload];
                }

                Assert.True(existing == answer["existing"]!.GetValue<int>(), $"existing should be {existing}: {response}");
                Assert.True(import.Tasks.Length - existing == answer["created"]!.GetValue<int>(), $"created should be {import.Tasks.Length - existing}: {response}");
                return;
            }

            case PatchOp patch:
            {
                var body = new JsonObject();
                SetIf(body, "status", Statuses[patch.Status]);
                SetIf(body, "priority", Priorities[patch.Priority]);
                SetIf(body, "reward", Rewards[patch.Reward]);
                SetIf(body, "leaseSeconds", LeaseSecondsOptions[patch.Lease]);
                SetIf(body, "maxAttempts", MaxAttemptsOptions[patch.Attempts]);
                var response = await SendAsync(client, HttpMethod.Patch, $"/v1/projects/{projectId}", body.ToJsonString(), patch.ToString());
                log.Add($"    -> {(int)response.Status} {response.ProblemType()}");
                var status = Statuses[patch.Status];
                var valid = status is null or "open" or "paused" or "closed" && Rewards[patch.Reward] is null or >= 0
                    && ValidLease(LeaseSecondsOptions[patch.Lease]) && ValidAttempts(MaxAttemptsOptions[patch.Attempts]);
                if (!visible)
                {
                    if (!(!valid && response.Status == HttpStatusCode.BadRequest))
                    {
                        Expect(response, HttpStatusCode.NotFound, "not-found", patch + " (not the caller's project)");
                    }

                    return;
                }
                if (!valid)
                {
                    ExpectValidation(response, patch.ToString());
                    return;
                }

                if (project!.Status == "closed" && status is not null and not "closed")
                {
                    Assert.True(
                        response.Status is HttpStatusCode.Conflict or HttpStatusCode.BadRequest,
                        $"{patch}: a closed project is final (docs/api.md), so reopening or pausing it must be refused: {response}");
                    return;
                }

                if (project.Status == "closed" && response.Status == HttpStatusCode.Conflict)
                {
                    // docs/api.md does not say whether other settings of a closed project may change; refusing is fine.
                    return;
                }

                var answer = response.Is(HttpStatusCode.OK);
                project.Status = status ?? project.Status;
                project.Priority = Priorities[patch.Priority] ?? project.Priority;
                project.Reward = Rewards[patch.Reward] ?? project.Reward;
                project.LeaseSeconds = LeaseSecondsOptions[patch.Lease] ?? project.LeaseSeconds;
                project.MaxAttempts = MaxAttemptsOptions[patch.Attempts] ?? project.MaxAttempts;
                CompareView(projectId, project, answer, patch.ToString());
                return;
            }

            case ReadOp:
            {
                var response = await SendAsync(client, HttpMethod.Get, $"/v1/projects/{projectId}", null, op.ToString()!);
                log.Add($"    -> {(int)response.Status} {response.ProblemType()}");
                if (!visible)
                {
                    Expect(response, HttpStatusCode.NotFound, "not-found", op + " (not the caller's project)");
                    return;
                }

                CompareView(projectId, project!, response.Is(HttpStatusCode.OK), op.ToString()!);
                return;
            }
        }
    }

    private static bool ValidLease(int? value) => value is null or (>= 1 and <= 86_400);

    private static bool ValidAttempts(int? value) => value is null or (>= 1 and <= 1000);

    private static void SetIf<T>(JsonObject body, string name, T? value)
    {
        if (value is not null)
        {
            body[name] = JsonValue.Create(value);
        }
    }

    private static void CompareView(string projectId, ModelProject expected, JsonNode view, string context)
    {
        var actual = new
        {
            id = view["id"]?.GetValue<string>(),
            overlap = view["overlap"]?.GetValue<int>(),
            leaseSeconds = view["leaseSeconds"]?.GetValue<int>(),
            maxAttempts = view["maxAttempts"]?.GetValue<int>(),
            reward = decimal.Parse(view["reward"]!.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture),
            priority = view["priority"]?.GetValue<int>(),
            status = view["status"]?.GetValue<string>(),
            total = view["counts"]?["total"]?.GetValue<long>(),
            open = view["counts"]?["open"]?.GetValue<long>(),
        };
        var model = new
        {
            id = (string?)projectId,
            overlap = (int?)expected.Overlap,
            leaseSeconds = (int?)expected.LeaseSeconds,
            maxAttempts = (int?)expected.MaxAttempts,
            reward = expected.Reward,
            priority = (int?)expected.Priority,
            status = (string?)expected.Status,
            total = (long?)expected.Tasks.Count,
            open = (long?)expected.Tasks.Count,
        };
        if (!actual.Equals(model))
        {
            throw new XunitException($"{context}: the project view differs from the model.{Environment.NewLine}  model:  {model}{Environment.NewLine}  server: {actual}{Environment.NewLine}  {view.ToJsonString()}");
        }
    }

    private async Task CompareAsync(Requester[] requesters, Dictionary<string, ModelProject> model)
    {
        for (var r = 0; r < requesters.Length; r++)
        {
            var list = (await SendAsync(requesters[r].Client, HttpMethod.Get, "/v1/projects", null, "list")).Is(HttpStatusCode.OK);
            var listed = Ids(list).Order(StringComparer.Ordinal).ToList();
            var owned = model.Where(p => p.Value.Owner == r).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
            Assert.True(owned.SequenceEqual(listed), $"R{r} lists [{string.Join(", ", listed)}], the model [{string.Join(", ", owned)}]");
            foreach (var projectId in owned)
            {
                var project = model[projectId];
                CompareView(projectId, project, (await SendAsync(requesters[r].Client, HttpMethod.Get, $"/v1/projects/{projectId}", null, "get")).Is(HttpStatusCode.OK), "final read of " + projectId);
                var tasks = (await SendAsync(requesters[r].Client, HttpMethod.Get, $"/v1/projects/{projectId}/tasks?limit=1000", null, "list tasks")).Is(HttpStatusCode.OK);
                var served = tasks["items"]!.AsArray().ToDictionary(t => t!["id"]!.GetValue<string>(), t => t!["payload"]!);
                Assert.True(
                    served.Keys.Order(StringComparer.Ordinal).SequenceEqual(project.Tasks.Keys.Order(StringComparer.Ordinal)),
                    $"{projectId} holds tasks [{string.Join(", ", served.Keys)}], the model [{string.Join(", ", project.Tasks.Keys)}]");
                foreach (var (taskId, payload) in project.Tasks)
                {
                    Assert.True(JsonNode.DeepEquals(JsonNode.Parse(payload), served[taskId]), $"{projectId}/{taskId}: payload {served[taskId].ToJsonString()}, the model {payload}");
                    Assert.Equal("open", tasks["items"]!.AsArray().Single(t => t!["id"]!.GetValue<string>() == taskId)!["state"]!.GetValue<string>());
                }
            }
        }
    }
}
