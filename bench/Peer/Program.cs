using Dispatch.Bench.Peer;
using Npgsql;

// The peer: the claim/submit subset of Dispatch's API on PostgreSQL, done the way graphile-worker, River and Oban do
// it (SELECT ... FOR UPDATE SKIP LOCKED). A reference for the benchmark, not a part of Dispatch.
var builder = WebApplication.CreateBuilder(args);
var connectionString = builder.Configuration.GetConnectionString("Peer")
    ?? throw new InvalidOperationException("ConnectionStrings:Peer is required (an Npgsql connection string).");
var adminKey = builder.Configuration["Peer:AdminKey"] is { Length: > 0 } key ? key : throw new InvalidOperationException("Peer:AdminKey is required.");

var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString);
// The claim and submit statements run thousands of times a second: prepare them once per connection.
dataSourceBuilder.ConnectionStringBuilder.MaxAutoPrepare = 32;
dataSourceBuilder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
// The peer keeps no session state, so a pooled connection needs no reset (DISCARD ALL) on its way back.
dataSourceBuilder.ConnectionStringBuilder.NoResetOnClose = true;
builder.Services.AddSingleton(dataSourceBuilder.Build());
builder.Services.AddSingleton(new PeerAuth(adminKey));
builder.Services.AddSingleton<WorkSignal>();
builder.Services.AddSingleton<PeerStore>();
builder.Services.AddHostedService<LeaseSweeper>();

var app = builder.Build();
await app.Services.GetRequiredService<PeerStore>().MigrateAsync(CancellationToken.None);
app.MapGet("/health/ready", () => TypedResults.Ok());
app.MapPeerApi();
app.Run();
