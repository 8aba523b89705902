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
    public static void Install(IServiceCollection services, Func<string, object?[], bool> fails)
    {
        var original = services.Last(d => d.ServiceType == typeof(ITaskStore));
        services.Remove(original);
        services.AddSingleton(provider =>
        {
            var inner = original.ImplementationInstance as ITaskStore
                ?? original.ImplementationFactory?.Invoke(provider) as ITaskStore
                ?? (ITaskStore)ActivatorUtilities.CreateInstance(provider, original.ImplementationType!);
            var store = Create<ITaskStore, FaultyTaskStore>();
            var faulty = (FaultyTaskStore)(object)store;
            faulty._inner = inner;
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
}
