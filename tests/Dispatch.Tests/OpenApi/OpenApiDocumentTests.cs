using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.OpenApi;

/// <summary>
/// The served OpenAPI document is what client generators and API browsers read: every operation must be named,
/// summarised, tagged, typed (body and answers, with the exact statuses the server gives) and say which errors and
/// which roles apply.
/// </summary>
public sealed class OpenApiDocumentTests(MemoryApiHost host) : IClassFixture<MemoryApiHost>
{
    private const string Admin = "admin";
    private const string Requester = "requester";
    private const string Worker = "worker";

    private enum Body
    {
        None,
        Required,
        Optional,
    }

    private sealed record Operation(string Method, string Path, string OperationId, Body Body, string Success, string Problems, params string[] Roles);

    /// <summary>Every call of the API: its success statuses and the problem statuses beyond 401, 403, 429 and 503.</summary>
    private static readonly Operation[] Expected =
    [
        new("post", "/v1/requesters", "CreateRequester", Body.Required, "201", "400 409 413", Admin),
        new("post", "/v1/workers", "CreateWorker", Body.Required, "201", "400 409 413", Admin),
        new("get", "/v1/workers/{workerId}", "GetWorker", Body.None, "200", "400 404", Admin, Worker),
        new("put", "/v1/workers/{workerId}/certifications/{skill}", "CertifyWorker", Body.Required, "200", "400 404 413", Admin),
        new("delete", "/v1/workers/{workerId}/certifications/{skill}", "RevokeCertification", Body.None, "204", "400 404", Admin),
        new("post", "/v1/workers/{workerId}/block", "BlockWorker", Body.Optional, "200", "400 404 413", Admin),
        new("post", "/v1/workers/{workerId}/unblock", "UnblockWorker", Body.Optional, "200", "400 404 413", Admin),
        new("post", "/v1/workers/{workerId}/bonuses", "PayBonus", Body.Required, "200 201", "400 404 409 413", Admin, Requester),
        new("post", "/v1/workers/{workerId}/payouts", "PayOut", Body.Required, "200 201", "400 404 409 413", Admin),
        new("get", "/v1/workers/{workerId}/ledger", "GetLedger", Body.None, "200", "400 404", Admin, Worker),
        new("post", "/v1/projects", "CreateProject", Body.Required, "201", "400 409 413", Admin, Requester),
        new("get", "/v1/projects", "ListProjects", Body.None, "200", "", Admin, Requester),
        new("get", "/v1/projects/{projectId}", "GetProject", Body.None, "200", "400 404", Admin, Requester),
        new("patch", "/v1/projects/{projectId}", "UpdateProject", Body.Required, "200", "400 404 409 413", Admin, Requester),
        new("post", "/v1/projects/{projectId}/tasks", "ImportTasks", Body.Required, "200", "400 404 409 413", Admin, Requester),
        new("get", "/v1/projects/{projectId}/tasks", "ListTasks", Body.None, "200", "400 404", Admin, Requester),
        new("get", "/v1/projects/{projectId}/tasks/{taskId}", "GetTask", Body.None, "200", "400 404", Admin, Requester),
        new("post", "/v1/projects/{projectId}/tasks/{taskId}/retry", "RetryTask", Body.None, "200", "400 404 409", Admin, Requester),
        new("get", "/v1/projects/{projectId}/results", "ListResults", Body.None, "200", "400 404", Admin, Requester),
        new("post", "/v1/projects/{projectId}/aggregation/run", "RunAggregation", Body.None, "202", "400 404 409", Admin, Requester),
        new("get", "/v1/projects/{projectId}/aggregation", "GetAggregation", Body.None, "200", "400 404", Admin, Requester),
        new("get", "/v1/projects/{projectId}/submissions", "ListSubmissions", Body.None, "200", "400 404", Admin, Requester),
        new("post", "/v1/projects/{projectId}/tasks/{taskId}/submissions/{workerId}/review", "ReviewSubmission", Body.Required, "200", "400 404 409 413", Admin, Requester),
        new("post", "/v1/projects/{projectId}/webhooks", "CreateWebhook", Body.Required, "201", "400 404 413", Admin, Requester),
        new("get", "/v1/projects/{projectId}/webhooks", "ListWebhooks", Body.None, "200", "400 404", Admin, Requester),
        new("delete", "/v1/projects/{projectId}/webhooks/{webhookId}", "DeleteWebhook", Body.None, "204", "400 404", Admin, Requester),
        new("get", "/v1/projects/{projectId}/webhooks/{webhookId}/deliveries", "ListWebhookDeliveries", Body.None, "200", "400 404", Admin, Requester),
        new("get", "/v1/projects/{projectId}/events", "StreamEvents", Body.None, "200", "400 404", Admin, Requester),
        new("post", "/v1/workers/{workerId}/leases", "ClaimLease", Body.Optional, "201 204", "400 404 409 413", Admin, Worker),
        new("get", "/v1/workers/{workerId}/leases", "ListLeases", Body.None, "200", "404", Admin, Worker),
        new("post", "/v1/workers/{workerId}/leases/{leaseId}/heartbeat", "HeartbeatLease", Body.Optional, "200", "400 404 409 413", Admin, Worker),
        new("post", "/v1/workers/{workerId}/leases/{leaseId}/submit", "SubmitLease", Body.Required, "200", "400 404 409 413", Admin, Worker),
        new("post", "/v1/workers/{workerId}/leases/{leaseId}/release", "ReleaseLease", Body.Optional, "200", "400 404 409 413", Admin, Worker),
    ];

    private static readonly string[] EveryCallMayAnswer = ["401", "403", "429", "503"];

    public static TheoryData<string> OperationIds() => [.. Expected.Select(o => o.OperationId)];

    [Fact]
    public async Task Document_IsOpenApi31_AndListsExactlyTheOperationsOfTheApi()
    {
        var document = await DocumentAsync();

        Assert.StartsWith("3.1", document["openapi"]!.GetValue<string>());
        var served = Operations(document).Select(o => $"{o.Method} {o.Path} {o.Node["operationId"]}").Order();
        Assert.Equal(Expected.Select(o => $"{o.Method} {o.Path} {o.OperationId}").Order(), served);
    }

    [Theory]
    [MemberData(nameof(OperationIds))]
    public async Task Operation_HasASummary_AndATagTheDocumentDescribes(string operationId)
    {
        var document = await DocumentAsync();
        var operation = Find(document, operationId);

        Assert.False(string.IsNullOrWhiteSpace(operation["summary"]?.GetValue<string>()), $"{operationId} has no summary");
        var tag = Assert.Single(operation["tags"]!.AsArray())!.GetValue<string>();
        var described = document["tags"]!.AsArray().Single(t => t!["name"]!.GetValue<string>() == tag);
        Assert.False(string.IsNullOrWhiteSpace(described!["description"]?.GetValue<string>()), $"tag {tag} has no description");
    }

    [Theory]
    [MemberData(nameof(OperationIds))]
    public async Task Operation_DescribesItsRequestBody_AsATypedJsonObject(string operationId)
    {
        var document = await DocumentAsync();
        var expected = Expected.Single(o => o.OperationId == operationId);
        var body = Find(document, operationId)["requestBody"];

        if (expected.Body == Body.None)
        {
            Assert.Null(body);
            return;
        }

        Assert.NotNull(body);
        Assert.Equal(expected.Body == Body.Required, body["required"]?.GetValue<bool>() ?? false);
        var schema = Resolve(document, body["content"]!["application/json"]!["schema"]!);
        Assert.Equal("object", schema["type"]!.GetValue<string>());
        Assert.NotEmpty(schema["properties"]!.AsObject());
    }

    [Theory]
    [MemberData(nameof(OperationIds))]
    public async Task Operation_AnswersSuccess_WithTheExactStatusAndATypedBody(string operationId)
    {
        var document = await DocumentAsync();
        var expected = Expected.Single(o => o.OperationId == operationId);
        var responses = Find(document, operationId)["responses"]!.AsObject();

        var successes = responses.Where(r => r.Key.StartsWith('2')).ToList();
        Assert.Equal(expected.Success.Split(' '), successes.Select(r => r.Key).Order());
        foreach (var (status, response) in successes)
        {
            if (status == "204")
            {
                Assert.Null(response!["content"]);
                continue;
            }

            var (mediaType, content) = Assert.Single(response!["content"]!.AsObject());
            Assert.Equal(operationId == "StreamEvents" ? "text/event-stream" : "application/json", mediaType);
            var schema = Resolve(document, content!["schema"]!);
            Assert.Equal("object", schema["type"]!.GetValue<string>());
            Assert.NotEmpty(schema["properties"]!.AsObject());
        }
    }

    [Theory]
    [MemberData(nameof(OperationIds))]
    public async Task Operation_ListsItsProblemAnswers_AsProblemJsonNamingTheirTypes(string operationId)
    {
        var document = await DocumentAsync();
        var expected = Expected.Single(o => o.OperationId == operationId);
        var responses = Find(document, operationId)["responses"]!.AsObject();

        var problems = responses.Where(r => r.Key[0] is '4' or '5').ToList();
        var expectedStatuses = EveryCallMayAnswer.Concat(expected.Problems.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Distinct().Order();
        Assert.Equal(expectedStatuses, problems.Select(p => p.Key).Order());
        foreach (var (status, response) in problems)
        {
            Assert.Contains('`', response!["description"]!.GetValue<string>());
            var schema = Resolve(document, response["content"]!["application/problem+json"]!["schema"]!);
            var properties = schema["properties"]!.AsObject();
            Assert.All(new[] { "type", "title", "status", "detail" }, name => Assert.True(properties.ContainsKey(name), $"{operationId} {status}: no {name}"));
            if (status == "400")
            {
                Assert.True(properties.ContainsKey("errors"), $"{operationId} 400 is not the validation shape");
            }
        }
    }

    [Theory]
    [MemberData(nameof(OperationIds))]
    public async Task Operation_NeedsTheBearerScheme_AndNamesTheRolesItIsOpenTo(string operationId)
    {
        var document = await DocumentAsync();
        var expected = Expected.Single(o => o.OperationId == operationId);
        var operation = Find(document, operationId);

        var scheme = document["components"]!["securitySchemes"]!["bearer"]!;
        Assert.Equal("http", scheme["type"]!.GetValue<string>());
        Assert.Equal("bearer", scheme["scheme"]!.GetValue<string>());
        var requirement = Assert.Single(operation["security"]!.AsArray())!.AsObject();
        Assert.Equal("bearer", Assert.Single(requirement).Key);
        Assert.Equal(expected.Roles, operation["x-dispatch-roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        foreach (var role in expected.Roles)
        {
            Assert.Contains(role, operation["description"]!.GetValue<string>());
        }
    }

    private async Task<JsonNode> DocumentAsync()
    {
        using var anonymous = host.Factory.CreateAnonymousClient();
        return (await anonymous.GetApiAsync("/openapi/v1.json")).Is(HttpStatusCode.OK);
    }

    private static IEnumerable<(string Method, string Path, JsonNode Node)> Operations(JsonNode document) =>
        from path in document["paths"]!.AsObject()
        from operation in path.Value!.AsObject()
        select (operation.Key, path.Key, operation.Value!);

    private static JsonNode Find(JsonNode document, string operationId) =>
        Operations(document).Single(o => o.Node["operationId"]?.GetValue<string>() == operationId).Node;

    /// <summary>The schema a node stands for, following a <c>$ref</c> into the document's components.</summary>
    private static JsonNode Resolve(JsonNode document, JsonNode schema)
    {
        if (schema["$ref"]?.GetValue<string>() is not { } reference)
        {
            return schema;
        }

        const string prefix = "#/components/schemas/";
        Assert.StartsWith(prefix, reference);
        return document["components"]!["schemas"]![reference[prefix.Length..]] ?? throw new Xunit.Sdk.XunitException($"Unresolved {reference}");
    }
}
