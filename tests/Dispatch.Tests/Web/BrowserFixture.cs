using Microsoft.Playwright;

namespace Dispatch.Tests.Web;

/// <summary>
/// One headless Chromium for every browser test, driven by Playwright for .NET. It is Debian's Chromium
/// (<c>apt-get install chromium</c>), since Playwright's own browser download cannot reach its host from here;
/// <c>DISPATCH_CHROMIUM</c> names another executable.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string DefaultExecutable = "/usr/lib/chromium/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started yet.");

    public async Task InitializeAsync()
    {
        var executable = Environment.GetEnvironmentVariable("DISPATCH_CHROMIUM") is { Length: > 0 } path ? path : DefaultExecutable;
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"The browser tests need Chromium at {executable}: run `apt-get install -y chromium` (or set DISPATCH_CHROMIUM).");
        }

        // The editor's bundle is 2 MB of script; on a small, busy machine a page may take seconds to show it.
        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // Root in a container has no user namespaces for the sandbox; the rest keeps Chromium from calling home.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>The browser tests share one Chromium and run one after another, which suits a small machine.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
