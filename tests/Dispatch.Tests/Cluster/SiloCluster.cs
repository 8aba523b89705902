using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Dispatch.Tests.Cluster;

/// <summary>
/// One HTTP call to one silo as the client saw it: the answer (read completely), or no answer at all (connection
/// refused, reset or timed out) with the kind of fault.
/// </summary>
public sealed record Reply(int Silo, ApiResponse? Response, string? RetryAfter, string? Fault, TimeSpan Elapsed)
{
    public bool Answered => Response is not null;

    /// <summary>The HTTP status, or 0 without an answer.</summary>
    public int Status => Response is null ? 0 : (int)Response.Status;

    /// <summary>The problem <c>type</c> of a problem+json answer, else null.</summary>
    public string? ProblemType
    {
        get
        {
            if (Response is null || !string.Equals(Response.MediaType, "application/problem+json", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            try
            {
                return JsonNode.Parse(Response.Text)?["type"]?.GetValue<string>();
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Null when this is a well-formed <c>503 unavailable</c> (problem+json, <c>type</c> unavailable, <c>status</c>,
    /// <c>title</c>, <c>detail</c>, a <c>Retry-After</c> header); otherwise what is wrong with it.
    /// </summary>
    public string? UnavailableShapeProblem()
    {
        if (Status != 503)
        {
            return $"not a 503: {this}";
        }

        if (RetryAfter is null)
        {
            return $"503 without Retry-After: {this}";
        }

        try
        {
            Response!.IsProblem(HttpStatusCode.ServiceUnavailable, "unavailable");
            return null;
        }
        catch (Exception e)
        {
            return $"malformed 503 ({e.Message.Split('\n')[0]})";
        }
    }

    public override string ToString() =>
        Response is null
            ? $"silo {Silo}: no answer after {Elapsed.TotalSeconds:0.0} s ({Fault})"
            : $"silo {Silo}: {Response}{(RetryAfter is null ? "" : $" [Retry-After: {RetryAfter}]")}";
}

/// <summary>
/// Up to a few Dispatch silo processes of one Orleans cluster on one PostgreSQL database (storage and clustering),
/// each with fixed silo, gateway and HTTP ports so that a silo can be started again where it was. Holds one pooled
/// <see cref="HttpClient"/> per silo; calls set their own <c>Authorization</c> header.
/// </summary>
public sealed class SiloCluster : IAsyncDisposable
{
    /// <summary>
    /// Failure detection fast enough for a test (defaults are tuned for production): a silo that stops answering is
    /// suspected after two missed probes of two seconds and declared dead by the votes of two others; a grain call
    /// that gets no answer fails after ten seconds.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> FastFailureDetection = new Dictionary<string, string>
    {
        ["Orleans:Membership:ProbeTimeout"] = "00:00:02",
        ["Orleans:Membership:NumMissedProbesLimit"] = "2",
        ["Orleans:Membership:NumVotesForDeathDeclaration"] = "2",
        ["Orleans:Membership:TableRefreshTimeout"] = "00:00:05",
        ["Orleans:Membership:IAmAliveTablePublishTimeout"] = "00:00:10",
        ["Orleans:Membership:DeathVoteExpirationTimeout"] = "00:00:30",
        ["Orleans:Messaging:ResponseTimeout"] = "00:00:10",
    };

    private readonly SiloProcess?[] _silos;
    private readonly HttpClient[] _clients;
    private readonly (int Silo, int Gateway, int Http)[] _ports;

    public SiloCluster(string name, string connectionString, int size, IReadOnlyDictionary<string, string>? extra = null)
    {
        Name = name;
        ConnectionString = connectionString;
        Extra = extra ?? FastFailureDetection;
        _silos = new SiloProcess?[size];
        _ports = Enumerable.Range(0, size).Select(_ => (Ports.Free(), Ports.Free(), Ports.Free())).ToArray();
        _clients = _ports.Select(p => new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = 256,
        })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{p.Item3.ToString(CultureInfo.InvariantCulture)}"),
            Timeout = Timeout.InfiniteTimeSpan,
        }).ToArray();
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public string AdminKey { get; } = "cluster-admin-" + Guid.NewGuid().ToString("N");

    public string ClusterId { get; } = "cluster-" + Guid.NewGuid().ToString("N")[..12];

    public string ServiceId { get; } = "service-" + Guid.NewGuid().ToString("N")[..12];

    public IReadOnlyDictionary<string, string> Extra { get; }

    public int Size => _silos.Length;

    /// <summary>The silo process at <paramref name="index"/> (null when not started).</summary>
    public SiloProcess? this[int index] => _silos[index];

    /// <summary>The pooled client of the silo at <paramref name="index"/> (without an <c>Authorization</c> header).</summary>
    public HttpClient Http(int index) => _clients[index];

    public SiloSettings SettingsFor(int index) => new()
    {
        AdminKey = AdminKey,
        Storage = "postgres",
        Clustering = "postgres",
        ConnectionString = ConnectionString,
        ClusterId = ClusterId,
        ServiceId = ServiceId,
        SiloPort = _ports[index].Silo,
        GatewayPort = _ports[index].Gateway,
        HttpPort = _ports[index].Http,
        Extra = Extra,
    };

    /// <summary>Starts every silo (all at once) and waits until each is ready.</summary>
    public async Task StartAllAsync()
    {
        await Task.WhenAll(Enumerable.Range(0, Size).Select(StartSiloAsync));
    }

    /// <summary>Starts (or starts again, on the same ports) the silo at <paramref name="index"/> and waits until it is ready.</summary>
    public async Task<SiloProcess> StartSiloAsync(int index)
    {
        if (_silos[index] is { HasExited: false })
        {
            throw new InvalidOperationException($"Silo {index} is running.");
        }

        if (_silos[index] is { } old)
        {
            await old.DisposeAsync();
        }

        var silo = await SiloProcess.StartAsync($"{Name}-silo{index}", SettingsFor(index));
        _silos[index] = silo;
        return silo;
    }

    /// <summary>
    /// Sends one call to one silo and reads the whole answer; a connection refused, reset or an answer slower than
    /// <paramref name="timeout"/> is a <see cref="Reply"/> without a response.
    /// </summary>
    public async Task<Reply> SendAsync(int silo, HttpMethod method, string path, string? bearer, object? body, TimeSpan timeout)
    {
        using var request = new HttpRequestMessage(method, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            var text = body switch
            {
                string raw => raw,
                JsonNode node => node.ToJsonString(),
                _ => JsonSerializer.Serialize(body, ApiClient.Json),
            };
            request.Content = new StringContent(text, Encoding.UTF8, "application/json");
        }

        var clock = Stopwatch.StartNew();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            using var response = await _clients[silo].SendAsync(request, cancel.Token);
            var content = await response.Content.ReadAsStringAsync(cancel.Token);
            var retryAfter = response.Headers.RetryAfter?.ToString();
            return new Reply(
                silo,
                new ApiResponse(method, path, response.StatusCode, response.Content.Headers.ContentType?.MediaType, content),
                retryAfter,
                null,
                clock.Elapsed);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return new Reply(silo, null, null, "timeout", clock.Elapsed);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            return new Reply(silo, null, null, "refused", clock.Elapsed);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return new Reply(silo, null, null, "reset", clock.Elapsed);
        }
    }

    /// <summary>
    /// Sends the call to silo <paramref name="home"/>, and on to the next silos in turn while a silo does not answer;
    /// <paramref name="observe"/> sees every attempt. Returns the first answer, or null when no silo answered.
    /// </summary>
    public async Task<Reply?> SendWithFailoverAsync(
        int home, HttpMethod method, string path, string? bearer, object? body, TimeSpan timeout, Action<Reply>? observe = null)
    {
        for (var i = 0; i < Size; i++)
        {
            var reply = await SendAsync((home + i) % Size, method, path, bearer, body, timeout);
            observe?.Invoke(reply);
            if (reply.Answered)
            {
                return reply;
            }
        }

        return null;
    }

    /// <summary>A call that must succeed with <paramref name="expected"/> (setup and checks); returns the JSON body.</summary>
    /// <remarks>A <c>429</c> is waited out (Retry-After) a few times: setup and checks are not what is under test.</remarks>
    public async Task<JsonNode> ExpectAsync(int silo, HttpMethod method, string path, string? bearer, object? body, HttpStatusCode expected)
    {
        var reply = await SendAsync(silo, method, path, bearer, body, TimeSpan.FromSeconds(60));
        for (var i = 0; i < 10 && reply.Status == 429; i++)
        {
            await Task.Delay(RetryAfter(reply));
            reply = await SendAsync(silo, method, path, bearer, body, TimeSpan.FromSeconds(60));
        }

        if (reply.Response is null || reply.Response.Status != expected)
        {
            throw new Xunit.Sdk.XunitException($"Expected {(int)expected} {expected}, got: {reply}");
        }

        return reply.Response.Json;
    }

    /// <summary>Like <see cref="ExpectAsync"/>, on the first silo that answers, starting at <paramref name="home"/>.</summary>
    public async Task<JsonNode> ExpectOnAnyAsync(int home, HttpMethod method, string path, string? bearer, object? body, HttpStatusCode expected)
    {
        var reply = await SendWithFailoverAsync(home, method, path, bearer, body, TimeSpan.FromSeconds(60));
        for (var i = 0; i < 10 && reply?.Status == 429; i++)
        {
            await Task.Delay(RetryAfter(reply));
            reply = await SendWithFailoverAsync(home, method, path, bearer, body, TimeSpan.FromSeconds(60));
        }

        if (reply?.Response is null || reply.Response.Status != expected)
        {
            throw new Xunit.Sdk.XunitException($"Expected {(int)expected} {expected}, got: {reply?.ToString() ?? "no silo answered"}");
        }

        return reply.Response.Json;
    }

    public static TimeSpan RetryAfter(Reply reply) =>
        int.TryParse(reply.RetryAfter, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 5)) : TimeSpan.FromSeconds(1);

    /// <summary>The rows of this cluster in the membership table: (silo port, status name).</summary>
    public async Task<List<(int Port, int Generation, string Status)>> MembershipAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT port, generation, status FROM orleans_membership WHERE deployment_id = @id ORDER BY port, generation", connection);
        command.Parameters.AddWithValue("id", ClusterId);
        var rows = new List<(int, int, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.GetInt32(1), ((SiloStatus)reader.GetInt32(2)).ToString()));
        }

        return rows;
    }

    /// <summary>
    /// The membership rows of this cluster that hold votes (Orleans' <c>suspect_times</c>: "silo,time|silo,time"):
    /// (silo port, generation, status name, the votes as stored).
    /// </summary>
    public async Task<List<(int Port, int Generation, string Status, string Votes)>> SuspicionsAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT port, generation, status, suspect_times FROM orleans_membership " +
            "WHERE deployment_id = @id AND coalesce(suspect_times, '') <> '' ORDER BY port, generation", connection);
        command.Parameters.AddWithValue("id", ClusterId);
        var rows = new List<(int, int, string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.GetInt32(1), ((SiloStatus)reader.GetInt32(2)).ToString(), reader.GetString(3)));
        }

        return rows;
    }

    /// <summary>Silo ports with an <c>Active</c> row in the membership table.</summary>
    public async Task<List<int>> ActivePortsAsync() =>
        [.. (await MembershipAsync()).Where(r => r.Status == nameof(SiloStatus.Active)).Select(r => r.Port).Order()];

    /// <summary>
    /// A failure for each silo that exited though the test did not stop or kill it (index in <paramref name="expectedGone"/>),
    /// with its exit code and the end of its log.
    /// </summary>
    public IEnumerable<string> UnexpectedExits(params int[] expectedGone) =>
        Enumerable.Range(0, Size)
            .Where(i => !expectedGone.Contains(i) && _silos[i] is { HasExited: true })
            .Select(i => $"silo {i} exited by itself (exit code {_silos[i]!.ExitCode}); nothing in the test stopped it.{Environment.NewLine}{_silos[i]!.LogTail(15)}");

    /// <summary>Writes each silo's log path and its warnings and errors (a few) to <paramref name="output"/>.</summary>
    public void Report(ITestOutputHelper output, int maxLinesPerSilo = 12)
    {
        foreach (var silo in _silos.OfType<SiloProcess>())
        {
            var problems = silo.Problems(maxLinesPerSilo);
            output.WriteLine($"{silo}: exit {silo.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-"}, log {silo.LogPath}, {problems.Count} warning/error lines shown");
            foreach (var line in problems)
            {
                output.WriteLine("    " + (line.Length > 400 ? line[..400] + "…" : line));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos.OfType<SiloProcess>())
        {
            await silo.DisposeAsync();
        }

        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }
}
