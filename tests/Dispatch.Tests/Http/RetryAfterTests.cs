using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Npgsql;

namespace Dispatch.Tests.Http;

/// <summary>
/// Every <c>429</c> and every <c>503</c> the host answers tells the client when to come back (<c>Retry-After</c>, whole
/// seconds, at least one): each kind is provoked here, over a caller's rate, over its event streams, and with the
/// database refusing connections (an API call and the readiness probe).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RetryAfterTests(PostgresServer postgres)
{
    [Fact]
    public async Task EveryKindOf429_CarriesRetryAfter()
    {
        await using var host = DispatchApiFactory.ForMemory();
        host.Settings["Dispatch:RateLimits:WorkerPerSecond"] = "1";
        host.Settings["Dispatch:RateLimits:WorkerBurst"] = "1";
        host.Settings["Dispatch:RateLimits:RequesterPerSecond"] = "1";
        host.Settings["Dispatch:RateLimits:RequesterBurst"] = "3";
        host.Settings["Dispatch:RateLimits:EventStreamsPerCaller"] = "1";
        host.Start();
        using var admin = host.CreateAdminClient();
        var apiKey = (await admin.PostApiAsync("/v1/requesters", new { id = "acme", name = "Acme" })).Is(HttpStatusCode.Created)["apiKey"]!.GetValue<string>();
        var token = (await admin.PostApiAsync("/v1/workers", new { id = "mina" })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
        using var requester = host.CreateClient(apiKey);
        using var worker = host.CreateClient(token);
        Assert.Equal(HttpStatusCode.Created, (await requester.PostAsJsonAsync("/v1/projects", new { id = "p" })).StatusCode);

        using var stream = await requester.GetAsync("/v1/projects/p/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        await Assert429WithRetryAfterAsync("a second event stream", "event streams", () => requester.GetAsync("/v1/projects/p/events", HttpCompletionOption.ResponseHeadersRead));
        await Assert429WithRetryAfterAsync("a worker over its rate", "Too many requests", () => worker.GetAsync("/v1/workers/mina/leases"));
        await Assert429WithRetryAfterAsync("a requester over its rate", "Too many requests", () => requester.GetAsync("/v1/projects/p"));
    }

    [Fact]
    public async Task EveryKindOf503_CarriesRetryAfter()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var host = DispatchApiFactory.ForPostgres(connectionString).Start();
        using var admin = host.CreateAdminClient();
        (await admin.PostApiAsync("/v1/projects", new { id = "p", name = "Unreachable" })).Is(HttpStatusCode.Created);
        using var anonymous = host.CreateAnonymousClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);

        await SetConnectionsAllowedAsync(database, allowed: false);
        try
        {
            using var list = await admin.GetAsync("/v1/projects/p/tasks");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, list.StatusCode);
            Assert.Equal("unavailable", (await list.Content.ReadFromJsonAsync<JsonObject>())!["type"]!.GetValue<string>());
            AssertRetryAfter("an API call with the database refusing connections", list);

            using var ready = await anonymous.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            AssertRetryAfter("the readiness probe with the database refusing connections", ready);
        }
        finally
        {
            await SetConnectionsAllowedAsync(database, allowed: true);
        }
    }

    private static async Task Assert429WithRetryAfterAsync(string what, string detail, Func<Task<HttpResponseMessage>> call)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            using var response = await call();
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
                Assert.Equal("rate-limited", problem["type"]!.GetValue<string>());
                Assert.Contains(detail, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
                AssertRetryAfter(what, response);
                return;
            }
        }

        Assert.Fail($"{what}: no 429 in 10 calls");
    }

    private static void AssertRetryAfter(string what, HttpResponseMessage response) =>
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"{what}: {(int)response.StatusCode} with Retry-After '{response.Headers.RetryAfter}'");

    /// <summary>Makes the database refuse new connections and ends the ones open (or lets them in again).</summary>
    private async Task SetConnectionsAllowedAsync(string database, bool allowed)
    {
        await using var connection = new NpgsqlConnection(postgres.AdminConnectionString);
        await connection.OpenAsync();
        await using var alter = new NpgsqlCommand($"ALTER DATABASE \"{database}\" WITH ALLOW_CONNECTIONS {(allowed ? "true" : "false")}", connection);
        await alter.ExecuteNonQueryAsync();
        if (!allowed)
        {
            await using var end = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @name", connection);
            end.Parameters.AddWithValue("name", database);
            await end.ExecuteNonQueryAsync();
        }
    }
}
