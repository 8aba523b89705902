using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dispatch.Bench.Peer;

/// <summary>The subset of Dispatch's HTTP API (docs/api.md) that the crowd simulator uses, same paths and answers.</summary>
internal static partial class PeerApi
{
    private const int MaxImportTasks = 10_000;
    private const int MaxLimit = 1000;
    private static readonly string[] TaskStates = ["open", "completed", "deadLettered"];

    public static void MapPeerApi(this WebApplication app)
    {
        var v1 = app.MapGroup("/v1");
        v1.MapPost("/workers", CreateWorkerAsync);
        v1.MapPost("/projects", CreateProjectAsync);
        v1.MapGet("/projects/{projectId}", GetProjectAsync);
        v1.MapPost("/projects/{projectId}/tasks", ImportAsync);
        v1.MapGet("/projects/{projectId}/results", ResultsAsync);
        v1.MapPost("/workers/{workerId}/leases", ClaimAsync);
        v1.MapPost("/workers/{workerId}/leases/{leaseId}/submit", SubmitAsync);
    }

    private static async Task<IResult> CreateWorkerAsync(HttpContext http, PeerAuth auth, PeerStore store)
    {
        if (await AdminOnlyAsync(http, auth, store) is { } refused)
        {
            return refused;
        }

        using var body = await ReadJsonAsync(http);
        if (body is null)
        {
            return Validation("body", "A JSON object is required.");
        }

        var id = String(body.RootElement, "id");
        var max = Int(body.RootElement, "maxActiveLeases") ?? 5;
        if (id is null || !IdPattern().IsMatch(id))
        {
            return Validation("id", "Must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$.");
        }

        if (max is < 1 or > 1000)
        {
            return Validation("maxActiveLeases", "Must be 1..1000.");
        }

        var token = $"wk.{id}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(24))}";
        return await store.CreateWorkerAsync(id, String(body.RootElement, "displayName"), max, PeerAuth.Hash(token), http.RequestAborted)
            ? TypedResults.Created($"/v1/workers/{id}", new { id, token })
            : Problem(409, "conflict", "Conflict", $"Worker '{id}' exists.");
    }

    private static async Task<IResult> CreateProjectAsync(HttpContext http, PeerAuth auth, PeerStore store)
    {
        if (await AdminOnlyAsync(http, auth, store) is { } refused)
        {
            return refused;
        }

        using var body = await ReadJsonAsync(http);
        if (body is null)
        {
            return Validation("body", "A JSON object is required.");
        }

        var root = body.RootElement;
        var project = new ProjectRow(
            String(root, "id") ?? "", String(root, "name") ?? String(root, "id") ?? "", String(root, "instructions"), String(root, "labelConfig"),
            Int(root, "overlap") ?? 1, Int(root, "leaseSeconds") ?? 300, Int(root, "maxAttempts") ?? 10,
            root.TryGetProperty("reward", out var reward) && reward.ValueKind == JsonValueKind.Number ? reward.GetDecimal() : 0m,
            Int(root, "priority") ?? 0, "open");
        if (!IdPattern().IsMatch(project.Id))
        {
            return Validation("id", "Must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$.");
        }

        if (project.Overlap is < 1 or > 100 || project.LeaseSeconds is < 1 or > 86400 || project.MaxAttempts is < 1 or > 1000 || project.Reward < 0)
        {
            return Validation("overlap", "overlap 1..100, leaseSeconds 1..86400, maxAttempts 1..1000, reward >= 0.");
        }

        if (!await store.CreateProjectAsync(project, http.RequestAborted))
        {
            return Problem(409, "conflict", "Conflict", $"Project '{project.Id}' exists.");
        }

        return TypedResults.Created($"/v1/projects/{project.Id}", ProjectView(project, new Counts(0, 0, 0, 0, 0, 0)));
    }

    private static async Task<IResult> GetProjectAsync(string projectId, HttpContext http, PeerAuth auth, PeerStore store)
    {
        if (await AdminOnlyAsync(http, auth, store) is { } refused)
        {
            return refused;
        }

        var project = await store.GetProjectAsync(projectId, http.RequestAborted);
        return project is null
            ? NotFound("project", projectId)
            : TypedResults.Ok(ProjectView(project, await store.CountAsync(projectId, http.RequestAborted)));
    }

    private static async Task<IResult> ImportAsync(string projectId, HttpContext http, PeerAuth auth, PeerStore store, WorkSignal signal)
    {
        if (await AdminOnlyAsync(http, auth, store) is { } refused)
        {
            return refused;
        }

        var project = await store.GetProjectAsync(projectId, http.RequestAborted);
        if (project is null)
        {
            return NotFound("project", projectId);
        }

        using var body = await ReadJsonAsync(http);
        if (body is null || !body.RootElement.TryGetProperty("tasks", out var items) || items.ValueKind != JsonValueKind.Array)
        {
            return Validation("tasks", "An array of tasks is required.");
        }

        if (items.GetArrayLength() > MaxImportTasks)
        {
            return Problem(413, "too-large", "Too large", $"At most {MaxImportTasks} tasks per call.");
        }

        var tasks = new List<ImportTask>(items.GetArrayLength());
        var ids = new string[items.GetArrayLength()];
        foreach (var item in items.EnumerateArray())
        {
            var i = tasks.Count;
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("payload", out var payload) || payload.ValueKind == JsonValueKind.Null)
            {
                return Validation($"tasks[{i}].payload", "A payload is required.");
            }

            var id = String(item, "id");
            if (id is not null && !IdPattern().IsMatch(id))
            {
                return Validation($"tasks[{i}].id", "Must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$.");
            }

            ids[i] = id ?? Guid.NewGuid().ToString("N").ToUpperInvariant();
            tasks.Add(new ImportTask(id, payload.GetRawText(), Int(item, "priority") ?? 0));
        }

        var created = await store.ImportAsync(project, tasks, ids, http.RequestAborted);
        if (created is null)
        {
            return Problem(409, "conflict", "Conflict", "A task id exists with another payload; nothing was stored.");
        }

        signal.Pulse();
        return TypedResults.Ok(new { created, existing = tasks.Count - created, ids });
    }

    private static async Task<IResult> ResultsAsync(string projectId, string? after, int? limit, HttpContext http, PeerAuth auth, PeerStore store)
    {
        if (await AdminOnlyAsync(http, auth, store) is { } refused)
        {
            return refused;
        }

        long cursor = 0;
        if (!string.IsNullOrEmpty(after) && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out cursor))
        {
            return Validation("after", "Must be a cursor returned as 'next'.");
        }

        if (limit is < 1 or > MaxLimit)
        {
            return Validation("limit", "Must be 1..1000.");
        }

        if (await store.GetProjectAsync(projectId, http.RequestAborted) is null)
        {
            return NotFound("project", projectId);
        }

        var pageSize = limit ?? 100;
        var rows = await store.ListResultsAsync(projectId, cursor, pageSize, http.RequestAborted);
        return JsonAnswer(200, w =>
        {
            w.WriteStartArray("items");
            foreach (var row in rows)
            {
                w.WriteStartObject();
                w.WriteString("taskId", row.TaskId);
                w.WritePropertyName("payload");
                w.WriteRawValue(row.PayloadJson, skipInputValidation: true);
                w.WriteStartArray("submissions");
                foreach (var s in row.Submissions)
                {
                    w.WriteStartObject();
                    w.WriteString("workerId", s.WorkerId);
                    w.WritePropertyName("result");
                    w.WriteRawValue(s.ResultJson, skipInputValidation: true);
                    w.WriteString("submittedAt", s.SubmittedAt);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteString("completedAt", row.CompletedAt);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (rows.Count == pageSize)
            {
                w.WriteString("next", rows[^1].CompletedSeq.ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                w.WriteNull("next");
            }
        });
    }

    private static async Task<IResult> ClaimAsync(string workerId, HttpContext http, PeerAuth auth, PeerStore store, WorkSignal signal)
    {
        if (await ActingAsAsync(http, auth, store, workerId) is { } refused)
        {
            return refused;
        }

        using var body = await ReadJsonAsync(http, allowEmpty: true);
        var projectId = body is null ? null : String(body.RootElement, "projectId");
        var wait = body is null ? 0 : Int(body.RootElement, "waitSeconds") ?? 0;
        if (wait is < 0 or > 20)
        {
            return Validation("waitSeconds", "Must be 0..20.");
        }

        var deadline = DateTime.UtcNow.AddSeconds(wait);
        var busyRetries = 0;
        while (true)
        {
            var (outcome, lease) = await store.ClaimAsync(workerId, projectId, http.RequestAborted);
            switch (outcome)
            {
                case ClaimOutcome.Leased:
                    return JsonAnswer(201, w =>
                    {
                        w.WriteString("leaseId", lease!.LeaseId.ToString("N").ToUpperInvariant());
                        w.WriteString("projectId", lease.ProjectId);
                        w.WriteString("taskId", lease.TaskId);
                        w.WritePropertyName("payload");
                        w.WriteRawValue(lease.PayloadJson, skipInputValidation: true);
                        w.WriteString("instructions", lease.Instructions);
                        w.WriteString("labelConfig", lease.LabelConfig);
                        w.WriteString("expiresAt", lease.ExpiresAt);
                    });
                case ClaimOutcome.WorkerAtLimit:
                    return Problem(409, "conflict", "Conflict", "The worker holds its maximum of active leases.");
                case ClaimOutcome.ProjectNotFound:
                    return NotFound("project", projectId!);
                case ClaimOutcome.ProjectNotOpen:
                    return Problem(409, "project-not-open", "Project not open", $"Project '{projectId}' is not open.");
                case ClaimOutcome.Busy when busyRetries++ < 100:
                    // A task this worker may take is held by a concurrent claim for a moment: look again.
                    await Task.Delay(1, http.RequestAborted);
                    continue;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return TypedResults.NoContent();
            }

            await signal.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), http.RequestAborted);
        }
    }

    private static async Task<IResult> SubmitAsync(string workerId, string leaseId, HttpContext http, PeerAuth auth, PeerStore store)
    {
        if (await ActingAsAsync(http, auth, store, workerId) is { } refused)
        {
            return refused;
        }

        if (!Guid.TryParseExact(leaseId, "N", out var lease))
        {
            return NotFound("lease", leaseId);
        }

        using var body = await ReadJsonAsync(http);
        if (body is null || !body.RootElement.TryGetProperty("result", out var result))
        {
            return Validation("result", "A result is required.");
        }

        var (outcome, taskId, state) = await store.SubmitAsync(workerId, lease, result.GetRawText(), http.RequestAborted);
        return outcome switch
        {
            SubmitOutcome.Accepted => TypedResults.Ok(new { taskId, taskState = TaskStates[state] }),
            SubmitOutcome.Expired => Problem(409, "lease-expired", "Lease expired", $"Lease '{leaseId}' expired."),
            SubmitOutcome.NotActive => Problem(409, "lease-not-active", "Lease not active", $"Lease '{leaseId}' is not active."),
            _ => NotFound("lease", leaseId),
        };
    }

    private static object ProjectView(ProjectRow p, Counts c) => new
    {
        id = p.Id,
        name = p.Name,
        instructions = p.Instructions,
        labelConfig = p.LabelConfig,
        requirements = Array.Empty<object>(),
        overlap = p.Overlap,
        leaseSeconds = p.LeaseSeconds,
        maxAttempts = p.MaxAttempts,
        reward = p.Reward,
        priority = p.Priority,
        quality = (object?)null,
        exam = (object?)null,
        status = p.Status,
        counts = new { total = c.Total, open = c.Open, completed = c.Completed, deadLettered = c.DeadLettered, activeLeases = c.ActiveLeases, submissions = c.Submissions },
    };

    private static async Task<IResult?> AdminOnlyAsync(HttpContext http, PeerAuth auth, PeerStore store) =>
        (await auth.AuthenticateAsync(http, store)).Role switch
        {
            Role.Admin => null,
            Role.None => Problem(401, "unauthenticated", "Unauthenticated", "A valid bearer secret is required."),
            _ => Problem(403, "forbidden", "Forbidden", "Only the admin may do this here."),
        };

    private static async Task<IResult?> ActingAsAsync(HttpContext http, PeerAuth auth, PeerStore store, string workerId)
    {
        var caller = await auth.AuthenticateAsync(http, store);
        return caller.Role switch
        {
            Role.Admin => null,
            Role.Worker when caller.WorkerId == workerId => null,
            Role.None => Problem(401, "unauthenticated", "Unauthenticated", "A valid bearer secret is required."),
            _ => Problem(403, "forbidden", "Forbidden", "A worker acts only as itself."),
        };
    }

    private static async Task<JsonDocument?> ReadJsonAsync(HttpContext http, bool allowEmpty = false)
    {
        try
        {
            var document = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document : null;
        }
        catch (JsonException) when (allowEmpty)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;

    private static IResult JsonAnswer(int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return new JsonBytes(buffer.WrittenMemory, status);
    }

    private static IResult Problem(int status, string type, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title, type: type);

    private static IResult Validation(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, "The request is not valid.", title: "Validation failed", type: "validation");

    private static IResult NotFound(string what, string id) => Problem(404, "not-found", "Not found", $"No {what} '{id}'.");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();
}

/// <summary>A JSON answer written by hand (raw payloads are copied, not re-parsed), with any status.</summary>
internal sealed class JsonBytes(ReadOnlyMemory<byte> body, int status) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = status;
        httpContext.Response.ContentType = "application/json";
        httpContext.Response.ContentLength = body.Length;
        await httpContext.Response.Body.WriteAsync(body, httpContext.RequestAborted);
    }
}
