using Dispatch.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Microsoft.Extensions.DependencyInjection;

public static class DispatchClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="DispatchClient"/> on an <see cref="IHttpClientFactory"/> client with Dispatch's retries
    /// (exponential back-off with jitter, honouring <c>Retry-After</c>, per-operation <see cref="Replay"/> rules).
    /// Returns the HTTP client builder for more handlers.
    /// </summary>
    public static IHttpClientBuilder AddDispatchClient(this IServiceCollection services, Action<DispatchClientOptions> configure) =>
        services.AddDispatchClient(Options.Options.DefaultName, configure);

    /// <summary>
    /// Registers a named Dispatch client (one per API or credential), resolved through
    /// <see cref="IDispatchClientFactory.CreateClient"/>; the unnamed one is also <see cref="DispatchClient"/> itself.
    /// </summary>
    public static IHttpClientBuilder AddDispatchClient(this IServiceCollection services, string name, Action<DispatchClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<DispatchClientOptions>(name).Configure(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DispatchClientOptions>, DispatchClientOptionsValidator>());
        services.TryAddSingleton<IDispatchClientFactory, DispatchClientFactory>();
        services.TryAddTransient(sp => sp.GetRequiredService<IDispatchClientFactory>().CreateClient(Options.Options.DefaultName));

        var builder = services.AddHttpClient(DispatchClientFactory.HttpClientName(name), (sp, http) =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<DispatchClientOptions>>().Get(name);
            http.BaseAddress = options.BaseAddress;
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
        builder.AddResilienceHandler("dispatch", (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptionsMonitor<DispatchClientOptions>>().Get(name);
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, options.MaxRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(options.MaxRetries > 0 && ReplayPolicy.ShouldRetry(args.Context, args.Outcome)),
            });

            // Per attempt, after the retry: a long poll waits 20 s, an event stream only until its headers arrive.
            pipeline.AddTimeout(options.Timeout);
        });
        return builder;
    }
}
