using System.Reflection;
using Dispatch.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Tests.Infrastructure;

/// <summary>
/// The host's own task store, except that the first call <c>fails</c> picks (by method name and arguments) runs and
/// then reports a timeout, as a caller sees a call whose answer was lost: a write is stored all the same.
/// </summary>
public class FaultyTaskStore : DispatchProxy
{
    private ITaskStore _inner = null!;
    private Func<string, object?[], bool> _fails = null!;
    private int _failed;

    /// <summary>Replaces the host's <see cref="ITaskStore"/> (memory or PostgreSQL) with one that fails once.</summary>
    /// <remarks>
    /// Services the host builds from the store itself (say, a memory-mode view over the memory store's tables) still
    /// get the real one: only the grains' calls go through the failing one.
    /// </remarks>
    public static void Install(IServiceCollection services, Func<string, object?[], bool> fails)
    {
        var original = services.Last(d => d.ServiceType == typeof(ITaskStore));
        services.Remove(original);
        services.AddSingleton(provider => new RealStore(original.CreateService<ITaskStore>(provider)));
        for (var i = 0; i < services.Count; i++)
        {
            if (services[i] is { IsKeyedService: false, ImplementationFactory: { } factory } built
                && built.ServiceType != typeof(ITaskStore) && built.ServiceType.Assembly == typeof(ITaskStore).Assembly)
            {
                services[i] = new ServiceDescriptor(built.ServiceType, provider => factory(new RealStoreProvider(provider)), built.Lifetime);
            }
        }

        services.AddSingleton(provider =>
        {
            var store = Create<ITaskStore, FaultyTaskStore>();
            var faulty = (FaultyTaskStore)(object)store;
            faulty._inner = provider.GetRequiredService<RealStore>().Store;
            faulty._fails = fails;
            return store;
        });
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        object? result;
        try
        {
            result = method!.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is { } inner)
        {
            throw inner;
        }

        if (result is Task && _fails(method.Name, args ?? []) && Interlocked.Exchange(ref _failed, 1) == 0)
        {
            return method.ReturnType.IsGenericType
                ? typeof(FaultyTaskStore).GetMethod(nameof(AnswerLostOfAsync), BindingFlags.NonPublic | BindingFlags.Static)!
                    .MakeGenericMethod(method.ReturnType.GetGenericArguments()[0]).Invoke(null, [result])
                : AnswerLostAsync((Task)result);
        }

        return result;
    }

    private static async Task AnswerLostAsync(Task call)
    {
        await call;
        throw Lost();
    }

    private static async Task<T> AnswerLostOfAsync<T>(Task<T> call)
    {
        await call;
        throw Lost();
    }

    private static TimeoutException Lost() => new($"The store did its part, but its answer was lost (the test's {nameof(FaultyTaskStore)}).");

    private sealed record RealStore(ITaskStore Store);

    private sealed class RealStoreProvider(IServiceProvider services) : IServiceProvider
    {
        public object? GetService(Type serviceType) =>
            serviceType == typeof(ITaskStore) ? services.GetRequiredService<RealStore>().Store : services.GetService(serviceType);
    }
}
