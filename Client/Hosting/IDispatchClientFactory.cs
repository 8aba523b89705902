namespace Dispatch.Client;

/// <summary>Makes the Dispatch clients registered with <c>AddDispatchClient</c>; cheap, so make one per use.</summary>
public interface IDispatchClientFactory
{
    /// <summary>The client registered under <paramref name="name"/> (the unnamed one: <see cref="Microsoft.Extensions.Options.Options.DefaultName"/>).</summary>
    DispatchClient CreateClient(string name);
}
