using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Tests.Infrastructure;

/// <summary>Where a test host keeps its grain state (<c>Dispatch:Storage</c>).</summary>
public enum StorageMode
{
    Memory,
    Postgres,
}

/// <summary>
/// A whole Dispatch host (silo and HTTP API) in the test process, configured only through settings, on real Kestrel
/// at a free loopback port so that body-size limits and headers behave as for any client. Each factory is its own
/// single-silo cluster: unique <c>Orleans:ClusterId</c> and free silo and gateway ports, so two factories never join.
/// Pass the same <paramref name="serviceId"/> to a second factory on the same database to see the first one's state.
/// </summary>
public sealed class DispatchApiFactory : WebApplicationFactory<Program>
{
    public DispatchApiFactory(StorageMode storage, string? connectionString = null, string? serviceId = null)
    {
        if (storage == StorageMode.Postgres && string.IsNullOrEmpty(connectionString))
        {
            throw new ArgumentException("Postgres storage needs a connection string.", nameof(connectionString));
        }

        Storage = storage;
        ConnectionString = connectionString;
        ServiceId = serviceId ?? "test-service-" + Guid.NewGuid().ToString("N");
        UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
    }

    /// <summary>The admin key this host accepts (<c>Dispatch:AdminKey</c>).</summary>
    public string AdminKey { get; } = "test-admin-" + Guid.NewGuid().ToString("N");

    public StorageMode Storage { get; }

    public string? ConnectionString { get; }

    public string ClusterId { get; } = "test-cluster-" + Guid.NewGuid().ToString("N");

    /// <summary>The Orleans service id; state in shared storage is keyed by it, so keep it to see earlier state.</summary>
    public string ServiceId { get; }

    public int SiloPort { get; } = Ports.Free();

    public int GatewayPort { get; } = Ports.Free();

    /// <summary>More settings for the host, applied last; set them before the host starts.</summary>
    public Dictionary<string, string> Settings { get; } = new(StringComparer.Ordinal);

    /// <summary>Changes to the host's services after its own (say, a store that fails on purpose); set before it starts.</summary>
    public Action<IServiceCollection>? TestServices { get; set; }

    /// <summary>Creates a postgres-mode factory on <paramref name="connectionString"/>.</summary>
    public static DispatchApiFactory ForPostgres(string connectionString, string? serviceId = null) =>
        new(StorageMode.Postgres, connectionString, serviceId);

    /// <summary>Creates a memory-mode factory.</summary>
    public static DispatchApiFactory ForMemory() => new(StorageMode.Memory);

    /// <summary>Creates a factory of <paramref name="storage"/>, on a new database of <paramref name="postgres"/> for PostgreSQL.</summary>
    public static async Task<DispatchApiFactory> ForAsync(StorageMode storage, PostgresServer postgres) =>
        storage == StorageMode.Postgres ? ForPostgres(await postgres.CreateDatabaseAsync()) : ForMemory();

    /// <summary>Starts the host now (silo included) rather than on the first request.</summary>
    public DispatchApiFactory Start()
    {
        StartServer();
        return this;
    }

    /// <summary>A client that sends <c>Authorization: Bearer <paramref name="bearerSecret"/></c>, or no header for null.</summary>
    public HttpClient CreateClient(string? bearerSecret)
    {
        var client = CreateClient();
        client.Timeout = TimeSpan.FromMinutes(5);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (bearerSecret is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerSecret);
        }

        return client;
    }

    /// <summary>A client that acts as the admin.</summary>
    public HttpClient CreateAdminClient() => CreateClient(AdminKey);

    /// <summary>A client without any <c>Authorization</c> header.</summary>
    public HttpClient CreateAnonymousClient() => CreateClient(bearerSecret: null);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Dispatch:AdminKey", AdminKey);
        builder.UseSetting("Dispatch:Storage", Storage == StorageMode.Postgres ? "postgres" : "memory");
        if (ConnectionString is not null)
        {
            builder.UseSetting("ConnectionStrings:Dispatch", ConnectionString);
        }

        builder.UseSetting("Dispatch:Clustering", "localhost");
        builder.UseSetting("Orleans:ClusterId", ClusterId);
        builder.UseSetting("Orleans:ServiceId", ServiceId);
        builder.UseSetting("Orleans:SiloPort", SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Orleans:GatewayPort", GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        if (TestServices is { } change)
        {
            builder.ConfigureTestServices(change);
        }
    }
}
