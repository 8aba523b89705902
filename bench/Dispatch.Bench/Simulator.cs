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
    private static readonly TimeSpan WorkingSetSettle = TimeSpan.FromSeconds(5);

    private const int RefillBatch = 1_000;

    // A fresh server is slowest in its first seconds (JIT tiering, pools, caches filling); this long a window says
    // how slow, next to the rate of the whole run.
    private static readonly TimeSpan FirstWindow = TimeSpan.FromSeconds(10);

    // Requests handed to the client are not yet requests the server holds, and the burst that brought 10,000 workers
    // in leaves the server compiling and collecting for a few seconds: the idle window starts this much later.
    private static readonly TimeSpan IdleSettle = TimeSpan.FromSeconds(5);

    private long _refilled;
    private long _claimsInFlight;
    private long _claimAnswers;

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
            ["tag"] = options.Tag,
            ["workers"] = options.Workers,
            ["tasks"] = options.KeepQueued > 0 ? options.KeepQueued : options.Tasks,
            ["projects"] = options.Projects,
            ["overlap"] = options.Overlap,
            ["waitSeconds"] = options.WaitSeconds,
            ["payloadBytes"] = options.PayloadBytes,
            ["importOnly"] = options.ImportOnly,
            ["warmupTasks"] = options.WarmupTasks,
            ["runId"] = options.RunId,
            ["startedAt"] = DateTime.UtcNow.ToString("O"),
        };

        var initialTasks = options.KeepQueued > 0 ? options.KeepQueued : options.Tasks;
        var cycleLimit = options.ImportOnly ? options.ThenCycles : options.Cycles;
        var crowd = !options.ImportOnly || cycleLimit > 0;
        if (cycleLimit > 0)
        {
            result["cycleLimit"] = cycleLimit;
        }

        var projectIds = Enumerable.Range(0, options.Projects).Select(p => $"bench-{options.RunId}-p{p}").ToArray();
        var tasksPerProject = Enumerable.Range(0, options.Projects)
            .Select(p => initialTasks / options.Projects + (p < initialTasks % options.Projects ? 1 : 0)).ToArray();
        var importedIds = new List<string>[options.Projects];

        var workers = Array.Empty<(string Id, AuthenticationHeaderValue Auth)>();
        if (options.Mode == "api")
        {
            if (crowd)
            {
                log.WriteLine($"Creating {options.Workers} workers ...");
                workers = await CreateWorkersAsync();
            }

            await Parallel.ForEachAsync(projectIds, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, ct) => await CreateProjectAsync(id));
            if (options.WarmupTasks > 0)
            {
                await WarmUpAsync(workers);
            }

            var residentBefore = options.ImportOnly ? ServerResidentBytes() : null;
            log.WriteLine($"Importing {initialTasks:N0} tasks into {options.Projects} project(s) ...");
            var cpuImport = CpuSnapshot();
            var importWatch = Stopwatch.StartNew();
            for (var p = 0; p < projectIds.Length; p++)
            {
                importedIds[p] = await ImportAsync(projectIds[p], tasksPerProject[p]);
            }

            var importSeconds = importWatch.Elapsed.TotalSeconds;
            result["importSeconds"] = Math.Round(importSeconds, 3);
            result["importTasksPerSec"] = Math.Round(initialTasks / importSeconds, 1);
            result["importCpu"] = CpuDelta(cpuImport, CpuSnapshot(), importSeconds);
            log.WriteLine($"Imported {initialTasks:N0} tasks in {importSeconds:F2} s: {initialTasks / importSeconds:N0} tasks/s");
            if (residentBefore is { } before)
            {
                result["workingSet"] = await MeasureWorkingSetGrowthAsync(before, initialTasks);
            }
        }
        else
        {
            workers = [.. Enumerable.Range(0, options.Workers).Select(i => ($"cw-{options.RunId}-{i}", new AuthenticationHeaderValue("Bearer", $"wk.cw-{i}.{Guid.NewGuid():N}")))];
            if (options.WarmupTasks > 0)
            {
                await WarmUpAsync(workers);
            }
        }

        if (crowd)
        {
            var tickets = cycleLimit > 0 ? new CycleTickets(cycleLimit)
                : options.Mode == "ceiling" ? new CycleTickets((long)options.Tasks * options.Overlap)
                : null;
            Func<Func<long>, CancellationToken, Task>? background = options.KeepQueued > 0
                ? (completed, ct) => KeepQueuedAsync(projectIds[0], completed, ct)
                : null;
            long? idleAfter = options.IdleWindow > 0 ? (long)options.Tasks * options.Overlap : null;
            if (options.StartedFile is { } started)
            {
                await File.WriteAllTextAsync(started, DateTime.UtcNow.ToString("O"));
            }

            await RunCrowdAsync(workers, tickets, result, background, idleAfter);
            if (options.KeepQueued > 0)
            {
                result["keepQueued"] = options.KeepQueued;
                result["tasksImportedWhileRunning"] = _refilled;
            }
        }

        if (options.Mode == "api" && options.ExportPages > 0)
        {
            result["export"] = await TimeExportAsync(projectIds[0]);
        }

        if (options.Mode == "api" && !options.SkipVerify)
        {
            result["invariants"] = await VerifyAsync(projectIds, tasksPerProject, importedIds, result, cycleLimit);
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

        if (workers.Length > 0)
        {
            var tickets = options.Mode == "ceiling" ? new CycleTickets((long)options.WarmupTasks * options.Overlap) : null;
            await RunCrowdAsync(workers, tickets, new JsonObject(), background: null, idleAfterCycles: null);
        }

        _errors.Clear();
    }

    /// <summary>
    /// Imports <see cref="RefillBatch"/> tasks each time that many were completed, so that about
    /// <see cref="SimulatorOptions.KeepQueued"/> stay queued however long the crowd runs. The batch is the same
    /// whatever the queue's length, so that two runs differ in the length alone (an import of 10,000 tasks holds
    /// its shards longer than one of 1,000, and that showed in the p99 of a run that refilled a tenth of the queue).
    /// </summary>
    private async Task KeepQueuedAsync(string projectId, Func<long> completed, CancellationToken ct)
    {
        var batch = Math.Min(RefillBatch, options.KeepQueued);
        while (!ct.IsCancellationRequested)
        {
            if (completed() - _refilled >= batch)
            {
                // Not cancelled mid-call: the verification counts every task that the server stored.
                try
                {
                    await ImportAsync(projectId, batch, firstNumber: options.KeepQueued + (int)_refilled);
                    _refilled += batch;
                }
                catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TaskCanceledException)
                {
                    _errors.AddOrUpdate($"keep-queued import {e.GetType().Name}", 1, (_, n) => n + 1);
                }

                continue;
            }

            try
            {
                await Task.Delay(10, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<JsonObject> MeasureWorkingSetGrowthAsync(long before, int tasks)
    {
        // Gives the server's collector and background writes time to settle, so the reading is what the tasks keep.
        await Task.Delay(WorkingSetSettle);
        var after = ServerResidentBytes() ?? before;
        log.WriteLine($"Server resident memory {before / 1048576.0:N1} MiB before the import, {after / 1048576.0:N1} MiB {WorkingSetSettle.TotalSeconds:N0} s after it");
        return new JsonObject
        {
            ["beforeBytes"] = before,
            ["afterBytes"] = after,
            ["settleSeconds"] = WorkingSetSettle.TotalSeconds,
            ["bytesPerTask"] = Math.Round((after - before) / (double)tasks, 1),
        };
    }

    private long? ServerResidentBytes()
    {
        if (!options.Pids.TryGetValue("server", out var pid))
        {
            return null;
        }

        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kib = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kib, System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return null;
    }

    private async Task<JsonObject> TimeExportAsync(string projectId)
    {
        log.WriteLine($"Timing {options.ExportPages} pages of the results export of {projectId} ...");
        var pageMs = new JsonArray();
        var latencies = new List<double>();
        var items = new List<int>();
        string? after = null;
        for (var page = 0; page < options.ExportPages; page++)
        {
            var path = $"/v1/projects/{projectId}/results?limit=1000{(after is null ? "" : "&after=" + Uri.EscapeDataString(after))}";
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = _admin;
            var t0 = Stopwatch.GetTimestamp();
            using var response = await _http.SendAsync(request);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            var ms = Math.Round(Stopwatch.GetElapsedTime(t0).TotalMilliseconds, 3);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                RecordError(response.StatusCode, bytes, "export");
                break;
            }

            var answer = JsonNode.Parse(bytes)!;
            latencies.Add(ms);
            pageMs.Add(ms);
            items.Add(answer["items"]!.AsArray().Count);
            after = answer["next"]?.GetValue<string>();
            if (after is null)
            {
                break;
            }
        }

        latencies.Sort();
        return latencies.Count == 0
            ? new JsonObject { ["pages"] = 0 }
            : new JsonObject
            {
                ["pages"] = latencies.Count,
                ["itemsPerPage"] = Math.Round(items.Average(), 1),
                ["minItemsPerPage"] = items.Min(),
                ["p50Ms"] = latencies[(latencies.Count - 1) / 2],
                ["maxMs"] = latencies[^1],
                ["pageMs"] = pageMs,
            };
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

    private async Task<List<string>> ImportAsync(string projectId, int count, int firstNumber = 0)
    {
        var batches = (count + options.ImportBatch - 1) / options.ImportBatch;
        var ids = new string[batches][];
        var pad = new string('x', Math.Max(0, options.PayloadBytes - 40));
        await Parallel.ForAsync(0, batches, new ParallelOptions { MaxDegreeOfParallelism = options.ImportParallel }, async (b, ct) =>
        {
            var first = b * options.ImportBatch;
            var size = Math.Min(options.ImportBatch, count - first);
            var body = ImportBody(firstNumber + first, size, pad);
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

    private async Task RunCrowdAsync(
        (string Id, AuthenticationHeaderValue Auth)[] workers,
        CycleTickets? tickets,
        JsonObject result,
        Func<Func<long>, CancellationToken, Task>? background,
        long? idleAfterCycles)
    {
        var claimHistograms = new LongHistogram[workers.Length];
        var submitHistograms = new LongHistogram[workers.Length];
        var claimBody = Encoding.UTF8.GetBytes(ClaimBody());

        log.WriteLine($"Running {workers.Length} workers ({options.Mode}, overlap {options.Overlap}, wait {options.WaitSeconds} s{(tickets is null ? "" : $", {tickets.Count:N0} cycles")}) ...");
        var cpuStart = CpuSnapshot();
        var start = Stopwatch.GetTimestamp();
        var counts = new CrowdCounts(workers.Length, firstWindowEnd: start + (long)(FirstWindow.TotalSeconds * Stopwatch.Frequency));
        var cycles = counts.Cycles;
        using var stop = new CancellationTokenSource();
        var reporter = ReportProgressAsync(cycles, start, stop.Token);
        var alongside = background?.Invoke(cycles.Sum, stop.Token) ?? Task.CompletedTask;
        var idle = idleAfterCycles is { } work ? MeasureIdleAsync(workers.Length, cycles.Sum, work, stop.Token) : null;
        await Task.WhenAll(workers.Select((w, i) => Task.Run(async () =>
        {
            claimHistograms[i] = new LongHistogram(HighestMicros, 3);
            submitHistograms[i] = new LongHistogram(HighestMicros, 3);
            await WorkerLoopAsync(w.Id, w.Auth, claimBody, claimHistograms[i], submitHistograms[i], i, counts, tickets);
        })));
        var end = Stopwatch.GetTimestamp();
        await stop.CancelAsync();
        await reporter;
        await alongside;
        if (idle is not null)
        {
            result["idle"] = await idle;
        }

        // Throughput is measured up to the last accepted submit, so the final long-poll waits do not dilute it.
        var lastWork = counts.LastSubmit.Max();
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
        // A run shorter than the window is reported over its whole length, with that length, rather than as a rate
        // over ten seconds it did not last.
        var window = Math.Min(seconds, FirstWindow.TotalSeconds);
        var windowCycles = counts.FirstWindow.Sum();
        result["firstWindowSeconds"] = Math.Round(window, 3);
        result["firstWindowCycles"] = windowCycles;
        result["firstTenSecondsCyclesPerSec"] = window > 0 ? Math.Round(windowCycles / window, 1) : 0;
        result["noWork204"] = counts.NoWork.Sum();
        result["claim"] = Percentiles(claims);
        result["submit"] = Percentiles(submits);
        result["cpu"] = CpuDelta(cpuStart, CpuSnapshot(), wall);
    }

    /// <summary>
    /// Once every cycle is done and every worker has a claim in flight, the server's CPU over
    /// <see cref="SimulatorOptions.IdleWindow"/>: what long polling costs while nothing happens. A claim answered
    /// inside the window means some wait ended early or late, and the reading is marked not clean.
    /// </summary>
    private async Task<JsonObject> MeasureIdleAsync(int workers, Func<long> cycles, long work, CancellationToken ct)
    {
        var sinceStart = Stopwatch.StartNew();
        try
        {
            while (cycles() < work || Interlocked.Read(ref _claimsInFlight) < workers)
            {
                await Task.Delay(50, ct);
            }

            var allWaitingAfter = sinceStart.Elapsed.TotalSeconds;
            await Task.Delay(IdleSettle, ct);
            var answersBefore = Interlocked.Read(ref _claimAnswers);
            var cpuBefore = CpuSnapshot();
            var window = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(options.IdleWindow), ct);
            var cpu = CpuDelta(cpuBefore, CpuSnapshot(), window.Elapsed.TotalSeconds);
            var answered = Interlocked.Read(ref _claimAnswers) - answersBefore;
            var serverCores = cpu["server"]?["seconds"]?.GetValue<double>() / window.Elapsed.TotalSeconds;
            log.WriteLine($"Idle window of {options.IdleWindow} s with {workers:N0} workers waiting: server {serverCores * 100:F2}% of one core; {answered} claims answered inside it");
            return new JsonObject
            {
                ["measured"] = true,
                ["waitingWorkers"] = workers,
                ["allWaitingAfterSeconds"] = Math.Round(allWaitingAfter, 2),
                ["windowSeconds"] = Math.Round(window.Elapsed.TotalSeconds, 2),
                ["claimsAnsweredInWindow"] = answered,
                ["clean"] = answered == 0,
                ["serverPercentOfCore"] = serverCores is { } c ? Math.Round(c * 100, 2) : null,
                ["cpu"] = cpu,
            };
        }
        catch (OperationCanceledException)
        {
            log.WriteLine("Idle window not measured: the crowd ended before every worker was waiting for the whole window.");
            return new JsonObject { ["measured"] = false, ["waitingWorkers"] = workers, ["claimsInFlightAtEnd"] = Interlocked.Read(ref _claimsInFlight) };
        }
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
        CrowdCounts counts,
        CycleTickets? tickets)
    {
        var claimPath = $"/v1/workers/{workerId}/leases";
        var submitBody = Encoding.UTF8.GetBytes($"{{\"result\":{{\"label\":\"cat\",\"confidence\":0.9,\"by\":\"{workerId}\"}}}}");
        var consecutiveErrors = 0;
        // A cycle that failed keeps its ticket for the next try, so errors do not shrink a run of --cycles.
        var holdsTicket = false;
        while (consecutiveErrors < 50)
        {
            if (tickets is not null && !holdsTicket)
            {
                if (!tickets.Take())
                {
                    return;
                }

                holdsTicket = true;
            }

            // Claim.
            string leaseId;
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, claimPath) { Content = Json(claimBody) };
                request.Headers.Authorization = auth;
                var (answer, bytes) = await SendClaimAsync(request);
                using var response = answer;
                var elapsed = Stopwatch.GetElapsedTime(t0);
                if (options.Mode == "ceiling" ? response.StatusCode == HttpStatusCode.NoContent : response.StatusCode == HttpStatusCode.Created)
                {
                    claimLatency.RecordValue(Micros(elapsed));
                    leaseId = options.Mode == "ceiling" ? "L" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) : ReadLeaseId(bytes);
                }
                else if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    counts.NoWork[index]++;
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
                        holdsTicket = false;
                        counts.CycleDone(index, Stopwatch.GetTimestamp());
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

    /// <summary>A claim, counted while in flight so that the idle window knows when every worker is waiting.</summary>
    private async Task<(HttpResponseMessage Response, byte[] Body)> SendClaimAsync(HttpRequestMessage request)
    {
        Interlocked.Increment(ref _claimsInFlight);
        try
        {
            var response = await _http.SendAsync(request);
            try
            {
                return (response, await response.Content.ReadAsByteArrayAsync());
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _claimsInFlight);
            Interlocked.Increment(ref _claimAnswers);
        }
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

    private async Task<JsonObject> VerifyAsync(string[] projectIds, int[] tasksPerProject, List<string>[] importedIds, JsonObject result, int cycleLimit)
    {
        var failures = new JsonArray();
        var completedTotal = 0L;
        var submissionsTotal = 0L;
        // A run stopped after --cycles leaves work queued, so only what holds for any such run is checked.
        var partial = cycleLimit > 0;
        var drained = !options.ImportOnly && !partial;
        var accepted = result["cycles"]?.GetValue<long>() ?? 0;
        for (var p = 0; p < projectIds.Length; p++)
        {
            var expected = tasksPerProject[p] + (p == 0 ? _refilled : 0);
            var project = await SendJsonAsync(HttpMethod.Get, $"/v1/projects/{projectIds[p]}", _admin, null);
            var counts = project["counts"]!;
            long Count(string name) => counts[name]!.GetValue<long>();
            void Expect(string what, long actual, long wanted)
            {
                if (actual != wanted)
                {
                    failures.Add($"{projectIds[p]}: {what} is {actual}, expected {wanted}");
                }
            }

            Expect("counts.total", Count("total"), expected);
            Expect("counts.open + completed + deadLettered", Count("open") + Count("completed") + Count("deadLettered"), Count("total"));
            Expect("counts.deadLettered", Count("deadLettered"), 0);
            Expect("counts.activeLeases", Count("activeLeases"), 0);
            submissionsTotal += Count("submissions");
            if (partial)
            {
                if (options.Overlap == 1)
                {
                    Expect("counts.completed", Count("completed"), Count("submissions"));
                }

                continue;
            }

            Expect("counts.completed", Count("completed"), drained ? expected : 0);
            Expect("counts.open", Count("open"), drained ? 0 : expected);
            Expect("counts.submissions", Count("submissions"), drained ? expected * options.Overlap : 0);
            if (!drained)
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

        string check;
        if (partial)
        {
            if (accepted != cycleLimit)
            {
                failures.Add($"accepted submits {accepted}, expected {cycleLimit}");
            }

            if (submissionsTotal != accepted)
            {
                failures.Add($"counts.submissions {submissionsTotal} in all, expected the {accepted} accepted submits");
            }

            if (_errors.Values.Sum() is var errors and > 0)
            {
                failures.Add($"{errors} errors");
            }

            check = $"stopped after {cycleLimit:N0} cycles, so not every task is completed: checked counts (total = imported, none dead-lettered or leased{(options.Overlap == 1 ? ", completed = submissions" : "")}), submissions = accepted submits = cycles, no errors";
        }
        else if (drained)
        {
            if (accepted != (long)options.Tasks * options.Overlap)
            {
                failures.Add($"accepted submits {accepted}, expected {(long)options.Tasks * options.Overlap}");
            }

            check = $"drained: checked counts, accepted submits, and through the results export that every task was completed by {options.Overlap} distinct worker(s) exactly once";
        }
        else
        {
            check = "import only: checked counts (total = imported, all open, none leased or submitted)";
        }

        while (failures.Count > 20)
        {
            failures.RemoveAt(failures.Count - 1);
        }

        return new JsonObject { ["ok"] = failures.Count == 0, ["checked"] = check, ["resultsExported"] = completedTotal, ["failures"] = failures };
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

    /// <summary>
    /// What each worker of a crowd has done, one slot per worker so that workers never share a counter; read once
    /// the crowd is done (the progress line and the background loops read <see cref="Cycles"/> while it runs).
    /// </summary>
    private sealed class CrowdCounts(int workers, long firstWindowEnd)
    {
        public long[] Cycles { get; } = new long[workers];

        /// <summary>Cycles whose submit was accepted no later than <c>firstWindowEnd</c> (a Stopwatch timestamp).</summary>
        public long[] FirstWindow { get; } = new long[workers];

        public long[] NoWork { get; } = new long[workers];

        /// <summary>Stopwatch timestamp of each worker's last accepted submit (0: none).</summary>
        public long[] LastSubmit { get; } = new long[workers];

        public void CycleDone(int worker, long at)
        {
            Cycles[worker]++;
            LastSubmit[worker] = at;
            if (at <= firstWindowEnd)
            {
                FirstWindow[worker]++;
            }
        }
    }

    /// <summary>Claim+submit cycles left to take: the crowd stops claiming once they are all taken.</summary>
    private sealed class CycleTickets(long count)
    {
        private long _left = count;

        public long Count { get; } = count;

        public bool Take() => Interlocked.Decrement(ref _left) >= 0;
    }
}
