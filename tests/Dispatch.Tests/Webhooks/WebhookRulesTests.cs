using System.Net;
using Dispatch.Grains.Webhooks;
using Microsoft.Extensions.Options;

namespace Dispatch.Tests.Webhooks;

/// <summary>The plain rules of webhooks: which addresses are private, the retry schedule, signatures, options.</summary>
public sealed class WebhookRulesTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.0.9")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fe80::1")]
    [InlineData("::ffff:10.0.0.1")]
    public void PrivateAddresses_AreRecognised(string address) => Assert.True(WebhookAddresses.IsPrivate(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("192.169.0.1")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("::ffff:1.1.1.1")]
    public void PublicAddresses_AreNotPrivate(string address) => Assert.False(WebhookAddresses.IsPrivate(IPAddress.Parse(address)));

    [Fact]
    public async Task ARegistrationsHost_ThatResolvesToLoopback_IsRefused_UnlessAllowed()
    {
        var strict = new WebhookAddresses(Options.Create(new WebhookOptions()));
        var relaxed = new WebhookAddresses(Options.Create(new WebhookOptions { AllowPrivateNetworks = true }));

        Assert.NotNull(await strict.RefusalAsync(new Uri("http://localhost:8080/hook")));
        Assert.NotNull(await strict.RefusalAsync(new Uri("http://does-not-exist.invalid/hook")));
        Assert.Null(await relaxed.RefusalAsync(new Uri("http://localhost:8080/hook")));
        Assert.Null(await strict.RefusalAsync(new Uri("http://93.184.215.14/hook")));
    }

    [Fact]
    public void Retries_WaitLonger_EachTime_UpToTheMaximum_AndStopAfterTheRetryPeriod()
    {
        var options = new WebhookOptions();
        var eventAt = new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

        var waits = Enumerable.Range(1, 16).Select(attempts => options.NextAttempt(eventAt, attempts, eventAt)!.Value - eventAt).ToList();

        Assert.True(waits[0] <= TimeSpan.FromSeconds(5) - options.PollInterval, $"first retry after {waits[0]}");
        Assert.Equal(waits[0] * 2, waits[1]);
        Assert.Equal(waits[1] * 2, waits[2]);
        Assert.Equal(TimeSpan.FromHours(1), waits[^1]);
        Assert.All(waits, w => Assert.InRange(w, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)));
        Assert.NotNull(options.NextAttempt(eventAt, 30, eventAt.AddHours(22)));
        Assert.Null(options.NextAttempt(eventAt, 30, eventAt.AddHours(23.5)));
    }

    [Fact]
    public void TheSignature_IsWhatAReceiverComputesFromTheSecretTimeAndBody()
    {
        const string body = """{"id":"e1","type":"task.completed"}""";
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var header = WebhookSignature.Of("0123456789abcdef", now, body);

        Assert.StartsWith($"t={now},v1=", header);
        Assert.True(WebhookReceiver.Verify("0123456789abcdef", header, body));
        Assert.False(WebhookReceiver.Verify("0123456789abcdeF", header, body));
        Assert.False(WebhookReceiver.Verify("0123456789abcdef", header, body + " "));
    }

    [Fact]
    public void Options_ThatWouldTakeDeliveriesTwice_AreRefusedAtStart()
    {
        Assert.Empty(new WebhookOptions().Problems());
        Assert.Contains(new WebhookOptions { ClaimTimeout = TimeSpan.FromSeconds(30) }.Problems(), p => p.Contains("ClaimTimeout", StringComparison.Ordinal));
        Assert.Contains(new WebhookOptions { MaxRetryDelay = TimeSpan.FromSeconds(1) }.Problems(), p => p.Contains("MaxRetryDelay", StringComparison.Ordinal));
        Assert.Contains(new WebhookOptions { PollInterval = TimeSpan.Zero }.Problems(), p => p.Contains("PollInterval", StringComparison.Ordinal));
    }
}
