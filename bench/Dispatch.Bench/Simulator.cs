using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HdrHistogram;

namespace Dispatch.Bench;

/// <summary>
/// A crowd of virtual workers over HTTP: creates workers and projects through the admin API, imports the tasks,
/// then lets every worker loop claim → submit until no work is left, and checks the invariants at the end.
/// </summary>
public sealed class Simulator(SimulatorOptions options, TextWriter log)
{
    private const long HighestMicros = 120_000_000;
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    private readonly ConcurrentDictionary<string, long> _errors = new();
    private readonly HttpClient _http = CreateClient(options);
    private readonly AuthenticationHeaderValue _admin = new("Bearer", options.AdminKey);

    private static HttpClient CreateClient(SimulatorOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(options.Workers, 4),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            UseCookies = false,
        };
        return new HttpClient(handler) { BaseAddress = options.Url, Timeout = TimeSpan.FromSeconds(options.WaitSeconds + 120) };
    }

    public async Task<JsonObject> RunAsync()
    {
        var result = new JsonObject
        {
            ["system"] = options.System,
            ["mode"] = options.Mode,
            ["workers"] = options.Workers,
            ["tasks"] = options.Tasks,
            ["projects"] = options.Projects,
            ["overlap"] = options.Overlap,
            ["waitSeconds"] = options.WaitSeconds,
            ["payloadBytes"] = options.PayloadBytes,
            ["importOnly"] = options.ImportOnly,
            ["runId"] = options.RunId,
            ["startedAt"] = DateTime.UtcNow.ToString("O"),
        };

        var projectIds = Enumerable.Range(0, options.Projects).Select(p => $"bench-{options.RunId}-p{p}").ToArray();
        var tasksPerProject = Enumerable.Range(0, options.Projects)
            .Select(p => options.Tasks / options.Projects + (p < options.Tasks % options.Projects ? 1 : 0)).ToArray();
        var importedIds = new List<string>[options.Projects];

        var workers = Array.Empty<(string Id, AuthenticationHeaderValue Auth)>();
        if (options.Mode == "api")
        {
            if (!options.ImportOnly)
            {
                log.WriteLine($"Creating {options.Workers} workers ...");
                workers = await CreateWorkersAsync();
            }

            for (var p = 0; p < projectIds.Length; p++)
            {
                await CreateProjectAsync(projectIds[p]);
            }

            if (options.WarmupTasks > 0 && !options.ImportOnly)
            {
                await WarmUpAsync(workers);
            }

            log.WriteLine($"Importing {options.Tasks:N0} tasks into {options.Projects} project(s) ...");
            var cpuImport = CpuSnapshot();
            var importWatch = Stopwatch.StartNew();
            for (var p = 0; p < projectIds.Length; p++)
            {
                importedIds[p] = await ImportAsync(projectIds[p], tasksPerProject[p]);
            }

            var importSeconds = importWatch.Elapsed.TotalSeconds;
            result["importSeconds"] = Math.Round(importSeconds, 3);
            result["importTasksPerSec"] = Math.Round(options.Tasks / importSeconds, 1);
            result["importCpu"] = CpuDelta(cpuImport, CpuSnapshot(), importSeconds);
            log.WriteLine($"Imported {options.Tasks:N0} tasks in {importSeconds:F2} s: {options.Tasks / importSeconds:N0} tasks/s");
        }
        else
        {
            workers = [.. Enumerable.Range(0, options.Workers).Select(i => ($"cw-{options.RunId}-{i}", new AuthenticationHeaderValue("Bearer", $"wk.cw-{i}.{Guid.NewGuid():N}")))];
            if (options.WarmupTasks > 0)
            {
                await WarmUpAsync(workers);
            }
        }

        if (!options.ImportOnly)
        {
            await RunCrowdAsync(workers, options.Tasks, result);
        }

        if (options.Mode == "api" && !options.SkipVerify)
        {
            result["invariants"] = await VerifyAsync(projectIds, tasksPerProject, importedIds, result);
        }

        result["errors"] = new JsonObject(_errors.OrderBy(e => e.Key).Select(e => KeyValuePair.Create(e.Key, (JsonNode?)e.Value)));
        result["errorCount"] = _errors.Values.Sum();
        return result;
    }

    /// <summary>The same crowd on a project of its own until its tasks are done; nothing of it is reported.</summary>
    private async Task WarmUpAsync((string Id, AuthenticationHeaderValue Auth)[] workers)
    {
        log.WriteLine($"Warming up with {options.WarmupTasks:N0} tasks ...");
        if (options.Mode == "api")
        {
            var warmProject = $"bench-{options.RunId}-warm";
            await CreateProjectAsync(warmProject);
            await ImportAsync(warmProject, options.WarmupTasks);
        }

        await RunCrowdAsync(workers, options.WarmupTasks, new JsonObject());
        _errors.Clear();
    }

    private async Task<(string, AuthenticationHeaderValue)[]> CreateWorkersAsync()
    {
        var workers = new (string, AuthenticationHeaderValue)[options.Workers];
        await Parallel.ForAsync(0, options.Workers, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var id = $"bw-{options.RunId}-{i}";
            var answer = await SendJsonAsync(HttpMethod.Post, "/v1/workers", _admin, new JsonObject { ["id"] = id, ["maxActiveLeases"] = 5 });
            workers[i] = (id, new AuthenticationHeaderValue("Bearer", answer["token"]!.GetValue<string>()));
        });
        return workers;
    }

    private Task CreateProjectAsync(string id) => SendJsonAsync(HttpMethod.Post, "/v1/projects", _admin, new JsonObject
    {
        ["id"] = id,
        ["name"] = $"Benchmark {id}",
        ["instructions"] = "Label it.",
        ["overlap"] = options.Overlap,
        ["leaseSeconds"] = 600,
        ["maxAttempts"] = 10,
    });

    private async Task<List<string>> ImportAsync(string projectId, int count)
    {
        var batches = (count + options.ImportBatch - 1) / options.ImportBatch;
        var ids = new string[batches][];
        var pad = new string('x', Math.Max(0, options.PayloadBytes - 40));
        await Parallel.ForAsync(0, batches, new ParallelOptions { MaxDegreeOfParallelism = options.ImportParallel }, async (b, ct) =>
        {
            var first = b * options.ImportBatch;
            var size = Math.Min(options.ImportBatch, count - first);
            var body = ImportBody(first, size, pad);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/projects/{projectId}/tasks") { Content = Json(body) };
            request.Headers.Authorization = _admin;
            using var response = await _http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"Import into {projectId} answered {(int)response.StatusCode}: {Truncate(text)}");
            }

            var answer = JsonNode.Parse(text)!;
            if (answer["created"]!.GetValue<int>() != size)
            {
                throw new InvalidOperationException($"Import into {projectId} created {answer["created"]} of {size}.");
            }

            ids[b] = [.. answer["ids"]!.AsArray().Select(n => n!.GetValue<string>())];
        });
        return [.. ids.SelectMany(b => b)];
    }

    private static byte[] ImportBody(int first, int size, string pad)
    {
        using var stream = new MemoryStream(size * (pad.Length + 64));
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("tasks");
            for (var i = 0; i < size; i++)
            {
                writer.WriteStartObject();
                writer.WriteStartObject("payload");
                writer.WriteNumber("n", first + i);
                writer.WriteString("url", "https://e.x/i.jpg");
                writer.WriteString("pad", pad);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    private async Task RunCrowdAsync((string Id, AuthenticationHeaderValue Auth)[] workers, int tasks, JsonObject result)
    {
        var claimHistograms = new LongHistogram[workers.Length];
        var submitHistograms = new LongHistogram[workers.Length];
        var cycles = new long[workers.Length];
        var noWork = new long[workers.Length];
        var lastSubmit = new long[workers.Length];
        long remaining = (long)tasks * options.Overlap;
        var claimBody = Encoding.UTF8.GetBytes(ClaimBody());

        log.WriteLine($"Running {workers.Length} workers ({options.Mode}, overlap {options.Overlap}, wait {options.WaitSeconds} s) ...");
        var cpuStart = CpuSnapshot();
        var start = Stopwatch.GetTimestamp();
        using var progress = new CancellationTokenSource();
        var reporter = ReportProgressAsync(cycles, start, progress.Token);
        await Task.WhenAll(workers.Select((w, i) => Task.Run(async () =>
        {
            claimHistograms[i] = new LongHistogram(HighestMicros, 3);
            submitHistograms[i] = new LongHistogram(HighestMicros, 3);
            await WorkerLoopAsync(w.Id, w.Auth, claimBody, claimHistograms[i], submitHistograms[i], i, cycles, noWork, lastSubmit, () => Interlocked.Decrement(ref remaining) >= 0);
        })));
        var end = Stopwatch.GetTimestamp();
        await progress.CancelAsync();
        await reporter;

        // Throughput is measured up to the last accepted submit, so the final long-poll waits do not dilute it.
        var lastWork = lastSubmit.Max();
        var seconds = Stopwatch.GetElapsedTime(start, lastWork > 0 ? lastWork : end).TotalSeconds;
        var wall = Stopwatch.GetElapsedTime(start, end).TotalSeconds;
        var total = cycles.Sum();
        var claims = Merge(claimHistograms);
        var submits = Merge(submitHistograms);
        result["cycles"] = total;
        result["cycleSeconds"] = Math.Round(seconds, 3);
        result["wallSeconds"] = Math.Round(wall, 3);
        result["cyclesPerSec"] = Math.Round(total / seconds, 1);
        result["requestsPerSec"] = Math.Round(2 * total / seconds, 1);
        result["noWork204"] = noWork.Sum();
        result["claim"] = Percentiles(claims);
        result["submit"] = Percentiles(submits);
        result["cpu"] = CpuDelta(cpuStart, CpuSnapshot(), wall);
    }

    private async Task ReportProgressAsync(long[] cycles, long start, CancellationToken ct)
    {
        try
        {
            long previous = 0;
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), ct);
                var now = cycles.Sum();
                log.WriteLine($"  {Stopwatch.GetElapsedTime(start).TotalSeconds,6:F1} s  {now,9:N0} cycles  {(now - previous) / 5.0,9:N0}/s  errors {_errors.Values.Sum()}");
                previous = now;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private string ClaimBody()
    {
        if (options.Mode == "ceiling")
        {
            return options.WaitSeconds > 0 ? $"{{\"waitSeconds\":{options.WaitSeconds}}}" : "{}";
        }

        var body = new JsonObject();
        if (options.NameProject && options.Projects == 1)
        {
            body["projectId"] = $"bench-{options.RunId}-p0";
        }

        if (options.WaitSeconds > 0)
        {
            body["waitSeconds"] = options.WaitSeconds;
        }

        return body.ToJsonString();
    }

    private async Task WorkerLoopAsync(
        string workerId,
        AuthenticationHeaderValue auth,
        byte[] claimBody,
        LongHistogram claimLatency,
        LongHistogram submitLatency,
        int index,
        long[] cycles,
        long[] noWork,
        long[] lastSubmit,
        Func<bool> takeCeilingCycle)
    {
        var claimPath = $"/v1/workers/{workerId}/leases";
        var submitBody = Encoding.UTF8.GetBytes($"{{\"result\":{{\"label\":\"cat\",\"confidence\":0.9,\"by\":\"{workerId}\"}}}}");
        var consecutiveErrors = 0;
        while (consecutiveErrors < 50)
        {
            if (options.Mode == "ceiling" && !takeCeilingCycle())
            {
                return;
            }

            // Claim.
            string leaseId;
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, claimPath) { Content = Json(claimBody) };
                request.Headers.Authorization = auth;
                using var response = await _http.SendAsync(request);
                var bytes = await response.Content.ReadAsByteArrayAsync();
                var elapsed = Stopwatch.GetElapsedTime(t0);
                if (options.Mode == "ceiling" ? response.StatusCode == HttpStatusCode.NoContent : response.StatusCode == HttpStatusCode.Created)
                {
                    claimLatency.RecordValue(Micros(elapsed));
                    leaseId = options.Mode == "ceiling" ? "L" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) : ReadLeaseId(bytes);
                }
                else if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    noWork[index]++;
                    return;
                }
                else
                {
                    RecordError(response.StatusCode, bytes, "claim");
                    consecutiveErrors++;
                    await Task.Delay(20);
                    continue;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                _errors.AddOrUpdate($"claim {e.GetType().Name}", 1, (_, n) => n + 1);
                consecutiveErrors++;
                await Task.Delay(20);
                continue;
            }

            // Submit; a submit is safe to retry, so transport errors and 5xx are retried a few times.
            for (var attempt = 1; attempt <= 3; attempt++)
            {
                var t1 = Stopwatch.GetTimestamp();
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"{claimPath}/{leaseId}/submit") { Content = Json(submitBody) };
                    request.Headers.Authorization = auth;
                    using var response = await _http.SendAsync(request);
                    var bytes = await response.Content.ReadAsByteArrayAsync();
                    var elapsed = Stopwatch.GetElapsedTime(t1);
                    if (response.StatusCode == (options.Mode == "ceiling" ? HttpStatusCode.NoContent : HttpStatusCode.OK))
                    {
                        submitLatency.RecordValue(Micros(elapsed));
                        cycles[index]++;
                        lastSubmit[index] = Stopwatch.GetTimestamp();
                        consecutiveErrors = 0;
                        break;
                    }

                    RecordError(response.StatusCode, bytes, "submit");
                    consecutiveErrors++;
                    if ((int)response.StatusCode < 500)
                    {
                        break;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    _errors.AddOrUpdate($"submit {e.GetType().Name}", 1, (_, n) => n + 1);
                    consecutiveErrors++;
                }

                await Task.Delay(20);
            }
        }

        _errors.AddOrUpdate("worker gave up after 50 errors in a row", 1, (_, n) => n + 1);
    }

    private static string ReadLeaseId(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("leaseId"u8))
            {
                reader.Read();
                return reader.GetString()!;
            }
        }

        throw new JsonException("The lease has no leaseId.");
    }

    private void RecordError(HttpStatusCode status, byte[] body, string call)
    {
        var type = "";
        try
        {
            if (body.Length > 0 && JsonNode.Parse(body) is JsonObject problem && problem["type"] is JsonValue value)
            {
                type = " " + value.GetValue<string>();
            }
        }
        catch (JsonException)
        {
        }

        _errors.AddOrUpdate($"{call} {(int)status}{type}", 1, (_, n) => n + 1);
    }

    private async Task<JsonObject> VerifyAsync(string[] projectIds, int[] tasksPerProject, List<string>[] importedIds, JsonObject result)
    {
        var failures = new JsonArray();
        var completedTotal = 0L;
        for (var p = 0; p < projectIds.Length; p++)
        {
            var expected = tasksPerProject[p];
            var project = await SendJsonAsync(HttpMethod.Get, $"/v1/projects/{projectIds[p]}", _admin, null);
            var counts = project["counts"]!;
            long Count(string name) => counts[name]!.GetValue<long>();
            var shouldComplete = !options.ImportOnly;
            void Expect(string what, long actual, long wanted)
            {
                if (actual != wanted)
                {
                    failures.Add($"{projectIds[p]}: {what} is {actual}, expected {wanted}");
                }
            }

            Expect("counts.total", Count("total"), expected);
            Expect("counts.open + completed + deadLettered", Count("open") + Count("completed") + Count("deadLettered"), Count("total"));
            Expect("counts.completed", Count("completed"), shouldComplete ? expected : 0);
            Expect("counts.open", Count("open"), shouldComplete ? 0 : expected);
            Expect("counts.deadLettered", Count("deadLettered"), 0);
            Expect("counts.activeLeases", Count("activeLeases"), 0);
            Expect("counts.submissions", Count("submissions"), shouldComplete ? (long)expected * options.Overlap : 0);
            if (!shouldComplete)
            {
                continue;
            }

            // Every task completed by exactly K distinct workers, each task once, through the results export.
            var seen = new HashSet<string>();
            string? after = null;
            var pages = 0;
            do
            {
                var page = await SendJsonAsync(HttpMethod.Get, $"/v1/projects/{projectIds[p]}/results?limit=1000{(after is null ? "" : "&after=" + Uri.EscapeDataString(after))}", _admin, null);
                pages++;
                foreach (var item in page["items"]!.AsArray())
                {
                    var taskId = item!["taskId"]!.GetValue<string>();
                    if (!seen.Add(taskId))
                    {
                        failures.Add($"{projectIds[p]}: task {taskId} appears twice in the results");
                    }

                    var submitters = item["submissions"]!.AsArray().Select(s => s!["workerId"]!.GetValue<string>()).ToList();
                    if (submitters.Count != options.Overlap || submitters.Distinct().Count() != options.Overlap)
                    {
                        failures.Add($"{projectIds[p]}: task {taskId} has {submitters.Count} submissions by {submitters.Distinct().Count()} workers, expected {options.Overlap} distinct");
                    }
                }

                after = page["next"]?.GetValue<string>();
            }
            while (after is not null && failures.Count < 20 && pages < 100_000);

            completedTotal += seen.Count;
            var missing = importedIds[p].Count(id => !seen.Contains(id));
            Expect("tasks missing from the results", missing, 0);
            Expect("results exported", seen.Count, expected);
        }

        if (!options.ImportOnly)
        {
            var accepted = result["cycles"]!.GetValue<long>();
            if (accepted != (long)options.Tasks * options.Overlap)
            {
                failures.Add($"accepted submits {accepted}, expected {(long)options.Tasks * options.Overlap}");
            }
        }

        while (failures.Count > 20)
        {
            failures.RemoveAt(failures.Count - 1);
        }

        return new JsonObject { ["ok"] = failures.Count == 0, ["resultsExported"] = completedTotal, ["failures"] = failures };
    }

    private async Task<JsonNode> SendJsonAsync(HttpMethod method, string path, AuthenticationHeaderValue auth, JsonObject? body)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = auth;
        if (body is not null)
        {
            request.Content = Json(Encoding.UTF8.GetBytes(body.ToJsonString()));
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {Truncate(text)}");
        }

        return JsonNode.Parse(text)!;
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = JsonType;
        return content;
    }

    private Dictionary<string, double> CpuSnapshot()
    {
        var snapshot = options.Pids.ToDictionary(p => p.Key, p => CpuMeter.TreeSeconds(p.Value));
        snapshot["simulator"] = CpuMeter.TreeSeconds(Environment.ProcessId);
        return snapshot;
    }

    private static JsonObject CpuDelta(Dictionary<string, double> before, Dictionary<string, double> after, double wallSeconds)
    {
        var cpu = new JsonObject();
        foreach (var (name, seconds) in after)
        {
            var used = seconds - before.GetValueOrDefault(name);
            cpu[name] = new JsonObject { ["seconds"] = Math.Round(used, 2), ["cores"] = Math.Round(used / wallSeconds, 2) };
        }

        return cpu;
    }

    private static LongHistogram Merge(LongHistogram[] histograms)
    {
        var merged = new LongHistogram(HighestMicros, 3);
        foreach (var h in histograms)
        {
            merged.Add(h);
        }

        return merged;
    }

    private static JsonObject Percentiles(LongHistogram h)
    {
        static double Ms(long micros) => Math.Round(micros / 1000.0, 3);
        return h.TotalCount == 0
            ? new JsonObject { ["count"] = 0 }
            : new JsonObject
            {
                ["count"] = h.TotalCount,
                ["p50Ms"] = Ms(h.GetValueAtPercentile(50)),
                ["p95Ms"] = Ms(h.GetValueAtPercentile(95)),
                ["p99Ms"] = Ms(h.GetValueAtPercentile(99)),
                ["maxMs"] = Ms(h.GetMaxValue()),
                ["meanMs"] = Math.Round(h.GetMean() / 1000.0, 3),
            };
    }

    private static long Micros(TimeSpan elapsed) => Math.Clamp((long)(elapsed.Ticks / 10), 1, HighestMicros);

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "...";
}
