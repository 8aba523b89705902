using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Http;

/// <summary>The admin and requester API on in-memory storage.</summary>
public sealed class AdminAndRequesterApiTests_Memory(MemoryApiHost host)
    : AdminAndRequesterApiTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>The admin and requester API on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AdminAndRequesterApiTests_Postgres(PostgresServer postgres, PostgresApiHost host)
    : AdminAndRequesterApiTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);

    [Fact]
    public async Task Secrets_AreNotStoredInTheDatabaseInTheClear()
    {
        var requester = await CreateRequesterAsync();
        var worker = await CreateWorkerAsync();
        (await requester.Client.GetApiAsync("/v1/projects")).Is(System.Net.HttpStatusCode.OK);
        (await worker.Client.GetApiAsync(WorkerPath(worker.Id))).Is(System.Net.HttpStatusCode.OK);

        var dump = await DumpDatabaseAsync(Host.ConnectionString!);

        // The dump is where the state lives: the ids are there, in text or in bytes.
        Assert.True(Occurs(dump, requester.Id), "the requester id is not in the database dump; is the state stored elsewhere?");
        Assert.True(Occurs(dump, worker.Id), "the worker id is not in the database dump; is the state stored elsewhere?");
        Assert.False(Occurs(dump, requester.ApiKey), "the requester key is stored in the clear");
        Assert.False(Occurs(dump, worker.Token), "the worker token is stored in the clear");
        Assert.False(Occurs(dump, Host.AdminKey), "the admin key is stored in the clear");
    }

    private static bool Occurs(string dump, string text) =>
        dump.Contains(text, StringComparison.Ordinal) ||
        dump.Contains(Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(text)), StringComparison.OrdinalIgnoreCase) ||
        dump.Contains(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text)), StringComparison.Ordinal);

    /// <summary>Every row of every user table, as PostgreSQL's text form of the row (bytea as hex).</summary>
    private static async Task<string> DumpDatabaseAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new Npgsql.NpgsqlCommand(
            "select quote_ident(table_schema) || '.' || quote_ident(table_name) from information_schema.tables " +
            "where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')",
            connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var dump = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            await using var select = new Npgsql.NpgsqlCommand($"select t::text from {table} t", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                dump.AppendLine(reader.GetString(0));
            }
        }

        return dump.ToString();
    }
}

/// <summary>One memory-mode host shared by the tests of a class.</summary>
public class MemoryApiHost : IAsyncLifetime
{
    public MemoryApiHost()
        : this(new Dictionary<string, string>())
    {
    }

    /// <param name="settings">More host settings, for suites that need them.</param>
    protected MemoryApiHost(IReadOnlyDictionary<string, string> settings)
    {
        Factory = DispatchApiFactory.ForMemory();
        foreach (var (key, value) in settings)
        {
            Factory.Settings[key] = value;
        }
    }

    public DispatchApiFactory Factory { get; }

    public Task InitializeAsync()
    {
        Factory.Start();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => Factory.DisposeAsync().AsTask();
}

/// <summary>
/// One postgres-mode host shared by the tests of a class, on a fresh database of the collection's server. It starts
/// on first use because a class fixture cannot take the collection fixture in its constructor.
/// </summary>
public class PostgresApiHost : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly IReadOnlyDictionary<string, string> _settings;
    private DispatchApiFactory? _factory;

    public PostgresApiHost()
        : this(new Dictionary<string, string>())
    {
    }

    /// <param name="settings">More host settings, for suites that need them.</param>
    protected PostgresApiHost(IReadOnlyDictionary<string, string> settings) => _settings = settings;

    public async Task<DispatchApiFactory> GetAsync(PostgresServer server)
    {
        await _gate.WaitAsync();
        try
        {
            if (_factory is null)
            {
                var connectionString = await server.CreateDatabaseAsync();
                var factory = DispatchApiFactory.ForPostgres(connectionString);
                foreach (var (key, value) in _settings)
                {
                    factory.Settings[key] = value;
                }

                _factory = factory.Start();
            }

            return _factory;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        _gate.Dispose();
    }
}
