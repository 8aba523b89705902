using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Tests.Http;

/// <summary>
/// Calls whose secret the server has not verified yet (each may activate a grain and read storage) are limited per
/// client address before any verification, and a secret found wrong is remembered for a while, so that guessing at
/// tokens costs neither; callers already verified, and the admin, go on meanwhile.
/// </summary>
public sealed class UnverifiedAttemptTests
{
    [Fact]
    public async Task UnknownSecrets_OverTheAddressLimit_Get429WithRetryAfter_WhileVerifiedCallersGoOn()
    {
        await using var host = DispatchApiFactory.ForMemory();
        host.Settings["Dispatch:RateLimits:UnverifiedPerSecond"] = "1";
        host.Settings["Dispatch:RateLimits:UnverifiedBurst"] = "3";
        host.Start();
        using var admin = host.CreateAdminClient();
        var token = (await admin.PostApiAsync("/v1/workers", new { id = "mina" })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
        using var mina = host.CreateClient(token);
        (await mina.GetApiAsync("/v1/workers/mina/leases")).Is(HttpStatusCode.OK);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 8; i++)
        {
            using var guesser = host.CreateClient($"wk.guess{i}.{Guid.NewGuid():N}");
            answers.Add(await guesser.GetAsync($"/v1/workers/guess{i}/leases"));
        }

        // The burst of three is checked with the grains; after it (give or take a token refilled meanwhile) the rest waits.
        Assert.Equal(new[] { 401, 401, 401 }, answers.Take(3).Select(a => (int)a.StatusCode));
        Assert.All(answers, a => Assert.Contains((int)a.StatusCode, new[] { 401, 429 }));
        var limited = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.True(limited.Count >= 3, $"only {limited.Count} of 8 guesses were limited");
        Assert.Equal("rate-limited", (await limited[0].Content.ReadFromJsonAsync<JsonObject>())!["type"]!.GetValue<string>());
        Assert.All(limited, a => Assert.True(a.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: '{a.Headers.RetryAfter}'"));

        (await mina.GetApiAsync("/v1/workers/mina/leases")).Is(HttpStatusCode.OK);
        (await admin.GetApiAsync("/v1/workers/mina")).Is(HttpStatusCode.OK);

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        using var later = host.CreateClient($"wk.later.{Guid.NewGuid():N}");
        (await later.GetApiAsync("/v1/workers/later/leases")).IsProblem(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task AWrongSecret_IsRemembered_SoItsRepeatsAskNoGrain()
    {
        await using var host = DispatchApiFactory.ForMemory().Start();
        var management = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        var ghost = "ghost-" + Guid.NewGuid().ToString("N")[..8];
        using var guesser = host.CreateClient($"wk.{ghost}.not-its-token");
        (await guesser.GetApiAsync($"/v1/workers/{ghost}/leases")).IsProblem(HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.True(await IsActiveAsync(management, ghost), "the first guess asks the worker grain");

        await management.ForceActivationCollection(TimeSpan.Zero);
        Assert.False(await IsActiveAsync(management, ghost), "the test could not make the worker grain go idle");
        for (var i = 0; i < 3; i++)
        {
            (await guesser.GetApiAsync($"/v1/workers/{ghost}/leases")).IsProblem(HttpStatusCode.Unauthorized, "unauthenticated");
        }

        Assert.False(await IsActiveAsync(management, ghost), "a repeated wrong secret activated its worker grain again");
    }

    private static async Task<bool> IsActiveAsync(IManagementGrain management, string workerId) =>
        (await management.GetDetailedGrainStatistics()).Any(s => s.GrainId.Key.ToString() == workerId && s.GrainType.Contains("WorkerGrain", StringComparison.Ordinal));
}
