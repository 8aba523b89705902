using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Tests.Infrastructure;

internal static class ServiceDescriptorExtensions
{
    /// <summary>The service a removed registration would have given, for a test double that wraps the host's own.</summary>
    public static T CreateService<T>(this ServiceDescriptor original, IServiceProvider provider) where T : class =>
        original.ImplementationInstance as T
        ?? original.ImplementationFactory?.Invoke(provider) as T
        ?? (T)ActivatorUtilities.CreateInstance(provider, original.ImplementationType!);
}
