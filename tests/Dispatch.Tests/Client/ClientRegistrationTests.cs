using Dispatch.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatch.Tests.Client;

/// <summary>What <c>AddDispatchClient</c> gives an application, without a host.</summary>
public sealed class ClientRegistrationTests
{
    [Fact]
    public void AddDispatchClient_WithoutABaseAddress_FailsWhenTheClientIsMadeWithASentence()
    {
        using var services = new ServiceCollection().AddDispatchClient(_ => { }).Services.BuildServiceProvider();

        var refusal = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<DispatchClient>());

        Assert.Contains("BaseAddress must be an absolute URI", refusal.Message);
    }

    [Fact]
    public void AddDispatchClient_Named_GivesEachNameItsOwnSecret()
    {
        var collection = new ServiceCollection();
        collection.AddDispatchClient("platform", o => (o.BaseAddress, o.Secret) = (new Uri("http://127.0.0.1:5080"), "admin-key"));
        collection.AddDispatchClient("mina", o => (o.BaseAddress, o.Secret) = (new Uri("http://127.0.0.1:5081"), "wk.mina.token"));
        using var services = collection.BuildServiceProvider();
        var factory = services.GetRequiredService<IDispatchClientFactory>();

        Assert.Equal("admin-key", factory.CreateClient("platform").Secret);
        Assert.Equal("wk.mina.token", factory.CreateClient("mina").Secret);
        Assert.Equal("other", factory.CreateClient("mina").As("other").Secret);
    }
}
