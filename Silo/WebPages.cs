using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace Dispatch.Silo;

/// <summary>
/// The pages people use: <c>/workspace</c> for workers and <c>/console</c> for requesters and the admin, plain HTML
/// and JavaScript modules that call the public API with the secret the person types in. Their files, the vendored
/// Label Studio editor included, are served from <c>web/</c> beside the binary under <c>/web/</c>, with a Content
/// Security Policy that keeps every script, style and call on this host.
/// </summary>
public static class WebPages
{
    public const string WorkspacePath = "/workspace";

    public const string ConsolePath = "/console";

    public const string FilesPath = "/web";

    private const string LibraryPath = FilesPath + "/lib";

    /// <summary>
    /// Compresses what the pages load (the editor is 2.6 MB, about 0.7 MB compressed: it matters on a phone) unless
    /// <c>Dispatch:Web:Enabled</c> is false. Only the pages' paths are compressed; the API's answers are left alone.
    /// </summary>
    public static WebApplicationBuilder AddDispatchWebPages(this WebApplicationBuilder builder)
    {
        if (Bind(builder.Configuration).Enabled)
        {
            // The files hold no secret and echo nothing a request sends, so compressing them over HTTPS leaks nothing.
            builder.Services.AddResponseCompression(options => options.EnableForHttps = true);
        }

        return builder;
    }

    /// <summary>Serves the pages and their files unless <c>Dispatch:Web:Enabled</c> is false.</summary>
    public static WebApplication MapDispatchWebPages(this WebApplication app)
    {
        var options = Bind(app.Configuration);
        if (!options.Enabled)
        {
            return app;
        }

        var root = Path.Combine(AppContext.BaseDirectory, "web");
        if (!File.Exists(Path.Combine(root, "workspace.html")))
        {
            throw new InvalidOperationException(
                $"The pages' files are not in {root} (the build copies Silo/web there): deploy them beside the binary, or set {WebPagesOptions.Section}:Enabled=false.");
        }

        var policy = ContentSecurityPolicy(options.MediaSources);
        app.UseWhen(http => IsPage(http.Request.Path), pages => pages.Use((http, next) =>
        {
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = policy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            return next(http);
        }).UseResponseCompression());
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(root),
            RequestPath = FilesPath,
            OnPrepareResponse = file => file.Context.Response.Headers.CacheControl =
                // The editor's folder is named by its version, so a copy never goes stale; our own files change with
                // each release of Dispatch, so browsers check them again each time (a 304 when unchanged).
                file.Context.Request.Path.StartsWithSegments(LibraryPath) ? "public, max-age=31536000, immutable" : "no-cache",
        });
        MapPage(app, WorkspacePath, Path.Combine(root, "workspace.html"));
        MapPage(app, ConsolePath, Path.Combine(root, "console.html"));
        return app;
    }

    /// <summary>
    /// What the pages may load: everything from this host only, with two exceptions the editor needs (found by
    /// running it under a stricter policy and reading Chromium's reports):
    /// <list type="bullet">
    /// <item><c>style-src 'unsafe-inline'</c>: the editor writes <c>&lt;style&gt;</c> elements as it renders (region
    /// highlights, label badges, resize triggers), with content made at run time, so no hash or nonce can cover them.</item>
    /// <item><c>img-src data:</c>: the editor's stylesheet and its label badges are <c>data:</c> SVG images.</item>
    /// </list>
    /// Scripts come only from this host's files: no inline script and no <c>'unsafe-eval'</c> (the editor needs
    /// neither). No page may be framed (a worker's Submit must not be clickjacked) or post a form elsewhere.
    /// </summary>
    public static string ContentSecurityPolicy(IEnumerable<string> mediaSources)
    {
        var media = string.Concat(mediaSources.Select(source => " " + source.TrimEnd('/')));
        return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            + $"img-src 'self' data:{media}; media-src 'self'{media}; connect-src 'self'; "
            + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    }

    private static void MapPage(WebApplication app, string path, string file) =>
        app.MapGet(path, (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "no-cache";
            return TypedResults.PhysicalFile(file, "text/html; charset=utf-8");
        }).ExcludeFromDescription();

    private static bool IsPage(PathString path) =>
        path.StartsWithSegments(WorkspacePath) || path.StartsWithSegments(ConsolePath) || path.StartsWithSegments(FilesPath);

    private static WebPagesOptions Bind(IConfiguration configuration)
    {
        var options = new WebPagesOptions();
        configuration.GetSection(WebPagesOptions.Section).Bind(options);
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(WebPagesOptions.Section, typeof(WebPagesOptions), problems);
        }

        return options;
    }
}
