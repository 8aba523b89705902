using Dispatch.Events;
using Dispatch.Grains.Aggregation;
using Dispatch.Grains.Events;
using Dispatch.Grains.Metrics;
using Dispatch.Grains.Money;
using Dispatch.Grains.Postgres;
using Dispatch.Grains.Storage;
using Dispatch.Grains.Webhooks;
using Dispatch.Grains.Workers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Dispatch.Grains;

public static class DispatchSiloBuilderExtensions
{
    /// <summary>
    /// Adds everything Dispatch needs to a silo: the grain storage named <see cref="StorageNames.Grains"/>, the task
    /// store, and on PostgreSQL the schema migration (run before any provider starts) and reminders.
    /// Options come from the <c>Dispatch</c> section and <c>ConnectionStrings:Dispatch</c>, then
    /// <paramref name="configure"/>; the time limits of this silo's views come from <c>Dispatch:SiloViews</c>
    /// (<see cref="SiloViewOptions"/>), and how the per-project gauges are gathered from <c>Dispatch:Metrics</c>
    /// (<see cref="MetricsOptions"/>), and how webhooks are delivered from <c>Dispatch:Webhooks</c> (<see cref="WebhookOptions"/>). Clustering stays the host's choice. Calling it twice adds nothing more.
    /// </summary>
    public static ISiloBuilder AddDispatch(this ISiloBuilder builder, Action<DispatchOptions>? configure = null)
    {
        if (builder.Services.Any(s => s.ServiceType == typeof(DispatchMarker)))
        {
            return builder;
        }

        builder.Services.AddSingleton<DispatchMarker>();

        var options = new DispatchOptions();
        builder.Configuration.GetSection(DispatchOptions.Section).Bind(options);
        options.ConnectionString ??= builder.Configuration.GetConnectionString("Dispatch");
        configure?.Invoke(options);
        options.ConnectionString = PostgresConnectionStrings.BoundPool(options.ConnectionString);
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(DispatchOptions.Section, typeof(DispatchOptions), problems);
        }

        var views = new SiloViewOptions();
        builder.Configuration.GetSection(SiloViewOptions.Section).Bind(views);
        problems = views.Problems();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(SiloViewOptions.Section, typeof(SiloViewOptions), problems);
        }

        var metrics = new MetricsOptions();
        builder.Configuration.GetSection(MetricsOptions.Section).Bind(metrics);
        problems = metrics.Problems();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(MetricsOptions.Section, typeof(MetricsOptions), problems);
        }

        var webhooks = new WebhookOptions();
        builder.Configuration.GetSection(WebhookOptions.Section).Bind(webhooks);
        problems = webhooks.Problems();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(WebhookOptions.Section, typeof(WebhookOptions), problems);
        }

        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton(Options.Create(views));
        builder.Services.AddSingleton(Options.Create(metrics));
        builder.Services.AddSingleton(Options.Create(webhooks));
        builder.Services.TryAddSingleton<WebhookAddresses>();
        builder.Services.AddHttpClient(WebhookDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<WebhookAddresses>().CreateHandler());
        builder.Services.TryAddSingleton<WebhookDispatcher>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<WebhookDispatcher>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<ProjectGauges>();
        builder.Services.TryAddSingleton<DispatchMetrics>();
        builder.Services.TryAddSingleton<EventPublisher>();
        builder.Services.TryAddSingleton<ProjectDirectory>();
        builder.Services.TryAddSingleton<RoutingTable>();
        builder.Services.TryAddSingleton<ShardHeads>();
        builder.Services.TryAddSingleton<WorkAvailability>();
        builder.Services.TryAddSingleton<ClaimRouter>();
        builder.Services.TryAddSingleton<TaskAggregates>();
        builder.Services.TryAddSingleton<EventInterest>();
        builder.Services.TryAddSingleton<IEventInterest>(sp => sp.GetRequiredService<EventInterest>());
        builder.Services.TryAddSingleton<WorkSignals>();
        builder.Services.TryAddSingleton<IWorkSignals>(sp => sp.GetRequiredService<WorkSignals>());
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, WorkSignalSubscriber>();
        builder.AddMemoryStreams(EventStreams.Provider);
        builder.AddMemoryGrainStorage("PubSubStore");

        if (options.UsesPostgres)
        {
            builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(new SchemaMigrationParticipant(options.ConnectionString!));
        }

        if (options.Storage == StorageMode.Postgres)
        {
            builder.Services.TryAddSingleton(_ => NpgsqlDataSource.Create(PostgresConnectionStrings.ForTaskStore(options.ConnectionString!)));
            builder.Services.TryAddSingleton(_ => new PostgresTaskWriter(PostgresConnectionStrings.ForTaskWriter(options.ConnectionString!, PostgresTaskWriter.Writers)));
            builder.Services.TryAddSingleton<ITaskStore, PostgresTaskStore>();
            builder.Services.TryAddSingleton<ILedgerStore, PostgresLedgerStore>();
            builder.Services.TryAddSingleton<IWebhookOutbox, PostgresWebhookOutbox>();
            builder.Services.TryAddSingleton<ITaskEstimateStore, PostgresTaskEstimateStore>();
            builder.AddAdoNetGrainStorage(StorageNames.Grains, o =>
            {
                o.Invariant = PostgresInvariant;
                o.ConnectionString = options.ConnectionString;
            });
            builder.UseAdoNetReminderService(o =>
            {
                o.Invariant = PostgresInvariant;
                o.ConnectionString = options.ConnectionString;
            });
        }
        else
        {
            builder.Services.TryAddSingleton<ITaskStore, MemoryTaskStore>();
            builder.Services.TryAddSingleton<ILedgerStore>(sp => new MemoryLedgerStore((MemoryTaskStore)sp.GetRequiredService<ITaskStore>()));
            builder.Services.TryAddSingleton<IWebhookOutbox>(sp => ((MemoryTaskStore)sp.GetRequiredService<ITaskStore>()).Outbox);
            builder.Services.TryAddSingleton<ITaskEstimateStore, MemoryTaskEstimateStore>();
            builder.AddMemoryGrainStorage(StorageNames.Grains);
            builder.UseInMemoryReminderService();
        }

        return builder;
    }

    /// <summary>The ADO.NET invariant name under which Npgsql registers itself.</summary>
    public const string PostgresInvariant = "Npgsql";

    private sealed class DispatchMarker;

    /// <summary>Applies the schema before clustering, storage and reminders read their queries from it.</summary>
    private sealed class SchemaMigrationParticipant(string connectionString) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(SchemaMigrationParticipant), ServiceLifecycleStage.First, ct => SchemaMigrator.MigrateAsync(connectionString, ct));
    }
}
