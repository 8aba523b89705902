using Dispatch.Tests.Http;
using Microsoft.Playwright;

namespace Dispatch.Tests.Web;

/// <summary>
/// What the browser tests share: the API helpers of <see cref="ApiTestBase"/>, and pages opened in a fresh browser
/// context (its own sessionStorage) that record every request to another host (and refuse it) and every Content
/// Security Policy violation or uncaught script error.
/// </summary>
public abstract class BrowserTestBase(BrowserFixture browser) : ApiTestBase
{
    /// <summary>A desktop screen.</summary>
    protected static readonly ViewportSize Desktop = new() { Width = 1280, Height = 900 };

    /// <summary>A phone held upright.</summary>
    protected static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    /// <summary>How long a page may take to show what a step waits for; the editor's bundle is 2 MB of script.</summary>
    protected static readonly TimeSpan PageTimeout = TimeSpan.FromSeconds(30);

    protected Uri BaseAddress => Anonymous.BaseAddress ?? throw new InvalidOperationException("The host has no address.");

    /// <summary>Opens <paramref name="pathAndFragment"/> of the host in a new browser context.</summary>
    protected async Task<BrowserVisit> OpenAsync(string pathAndFragment, ViewportSize? viewport = null)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = viewport ?? Desktop,
        });
        context.SetDefaultTimeout((float)PageTimeout.TotalMilliseconds);
        var visit = new BrowserVisit(context, await context.NewPageAsync());
        var origin = BaseAddress.GetLeftPart(UriPartial.Authority);
        await context.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith(origin + "/", StringComparison.Ordinal))
            {
                await route.ContinueAsync();
                return;
            }

            lock (visit.ForeignRequests)
            {
                visit.ForeignRequests.Add(route.Request.Url);
            }

            await route.AbortAsync();
        });
        await visit.Page.GotoAsync(pathAndFragment);
        return visit;
    }

    protected static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    /// <summary>
    /// Where a test leaves its screenshot: the folder in <c>DISPATCH_SCREENSHOTS</c> (the README's pictures are
    /// made with <c>DISPATCH_SCREENSHOTS=$PWD/docs</c>), else a temporary folder.
    /// </summary>
    protected static string ScreenshotPath(string name)
    {
        var folder = Environment.GetEnvironmentVariable("DISPATCH_SCREENSHOTS") is { Length: > 0 } wanted
            ? wanted
            : Path.Combine(Path.GetTempPath(), "dispatch-screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    /// <summary>Takes a screenshot of the page and checks that a PNG was written.</summary>
    protected static async Task ScreenshotAsync(IPage page, string name)
    {
        var file = ScreenshotPath(name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        var bytes = await File.ReadAllBytesAsync(file);
        Assert.True(bytes.Length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', $"{file} is not a PNG screenshot");
    }
}

/// <summary>One page in its own browser context, and what it did that a test must know about.</summary>
public sealed class BrowserVisit : IAsyncDisposable
{
    private readonly IBrowserContext _context;

    public BrowserVisit(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        Page.Console += (_, message) =>
        {
            if (message.Type == "error" && message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                lock (Problems)
                {
                    Problems.Add("CSP: " + message.Text);
                }
            }
        };
        Page.PageError += (_, error) =>
        {
            lock (Problems)
            {
                Problems.Add("uncaught: " + error);
            }
        };
    }

    public IPage Page { get; }

    /// <summary>Requests to any host but the Dispatch host under test; each was refused.</summary>
    public List<string> ForeignRequests { get; } = [];

    /// <summary>Content Security Policy violations and uncaught script errors.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>Asserts that the page asked nothing of another host, broke no policy and threw nothing.</summary>
    public void AssertWellBehaved()
    {
        lock (ForeignRequests)
        {
            Assert.True(ForeignRequests.Count == 0, "requests to other hosts: " + string.Join(", ", ForeignRequests));
        }

        lock (Problems)
        {
            Assert.True(Problems.Count == 0, "page problems: " + string.Join(" | ", Problems));
        }
    }

    public ValueTask DisposeAsync() => new(_context.CloseAsync());
}
