using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Dispatch.Tests.Cluster;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Operations;

/// <summary>An operator who points Dispatch at an OTLP collector receives the Dispatch meter there.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task OtlpEndpoint_OverHttpProtobuf_ReceivesTheDispatchMeter()
    {
        var port = Ports.Free();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var adminKey = "otlp-admin-" + Guid.NewGuid().ToString("N");
        await using var silo = await SiloProcess.StartAsync("otlp", new SiloSettings
        {
            AdminKey = adminKey,
            Storage = "memory",
            Clustering = "localhost",
            ClusterId = "otlp-" + Guid.NewGuid().ToString("N"),
            ServiceId = "otlp-" + Guid.NewGuid().ToString("N"),
            SiloPort = Ports.Free(),
            GatewayPort = Ports.Free(),
            HttpPort = Ports.Free(),
            Extra = new Dictionary<string, string>
            {
                ["Dispatch:Metrics:OtlpEndpoint"] = $"http://127.0.0.1:{port}/v1/metrics",
                ["Dispatch:Metrics:OtlpProtocol"] = "http/protobuf",
                ["Dispatch:Metrics:OtlpExportInterval"] = "00:00:00.500",
            },
        });
        using var admin = new HttpClient { BaseAddress = silo.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        (await admin.PostApiAsync("/v1/projects", new { id = "cats", name = "Cats" })).Is(HttpStatusCode.Created);
        (await admin.PostApiAsync("/v1/projects/cats/tasks", new { tasks = new[] { new { payload = 1 } } })).Is(HttpStatusCode.OK);

        var received = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!timeout.IsCancellationRequested)
        {
            HttpListenerContext call;
            try
            {
                call = await collector.GetContextAsync().WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            using var body = new MemoryStream();
            await call.Request.InputStream.CopyToAsync(body, timeout.Token);
            call.Response.StatusCode = 200;
            call.Response.Close();

            received.Add($"{call.Request.HttpMethod} {call.Request.Url?.AbsolutePath} {call.Request.ContentType}");
            // Protobuf keeps strings as UTF-8 bytes, so the instrument's name is readable in the body.
            if (call.Request.Url?.AbsolutePath == "/v1/metrics"
                && call.Request.ContentType == "application/x-protobuf"
                && Encoding.UTF8.GetString(body.ToArray()).Contains("dispatch.tasks.imported", StringComparison.Ordinal))
            {
                return;
            }
        }

        throw new Xunit.Sdk.XunitException("The collector never received dispatch.tasks.imported; it received: " + string.Join("; ", received));
    }
}
