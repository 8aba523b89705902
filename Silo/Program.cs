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

app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
app.MapOpenApi();
app.MapApiReference();
app.MapDispatchWebPages();
app.MapDispatchApi();
app.MapDispatchMetrics();
app.MapDispatchDashboard();

app.Run();

/// <summary>The host's entry point, public so tests can start it with WebApplicationFactory.</summary>
public partial class Program;
