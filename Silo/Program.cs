using Dispatch.Api;
using Dispatch.Api.OpenApi;
using Dispatch.Silo;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

// Settings files sit beside the binary, so the host reads them from wherever it is started.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.AddDispatchSilo();
builder.AddDispatchMetrics();
builder.AddDispatchWebPages();
builder.Services.AddDispatchOpenApi();
builder.Services.AddHealthChecks().AddCheck<ReadinessCheck>("storage-and-cluster", tags: ["ready"]);

var app = builder.Build();
if (!await DatabaseCheck.PassesAsync(app))
{
    // Disposing flushes the log line that says why.
    await app.DisposeAsync();
    return 1;
}

app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = HealthAnswers.WriteAsync });
app.MapOpenApi();
app.MapApiReference();
app.MapDispatchWebPages();
app.MapDispatchApi();
app.MapDispatchMetrics();
app.MapDispatchDashboard();

await app.RunAsync();
return 0;

/// <summary>The host's entry point, public so tests can start it with WebApplicationFactory.</summary>
public partial class Program;
