using System.Text.Json;
using Microsoft.AspNetCore.Mvc;

// The HTTP ceiling: the claim and submit paths of the API on the same (default) Kestrel settings as the Dispatch
// silo, each reading a small JSON body and answering 204, so the simulator can measure what HTTP alone costs.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();

app.MapPost("/v1/workers/{workerId}/leases", (string workerId, [FromBody] ClaimBody? body) => TypedResults.NoContent());
app.MapPost("/v1/workers/{workerId}/leases/{leaseId}/submit", (string workerId, string leaseId, [FromBody] SubmitBody body) => TypedResults.NoContent());
app.MapGet("/health/ready", () => TypedResults.Ok());

app.Run();

/// <summary>The claim body of the API.</summary>
internal sealed record ClaimBody(string? ProjectId, int? WaitSeconds);

/// <summary>The submit body of the API.</summary>
internal sealed record SubmitBody(JsonElement? Result);
