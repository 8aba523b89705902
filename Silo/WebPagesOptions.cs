namespace Dispatch.Silo;

/// <summary>The <c>Dispatch:Web</c> section: the worker workspace and the requester console served by this host.</summary>
public sealed class WebPagesOptions
{
    public const string Section = "Dispatch:Web";

    /// <summary>
    /// Whether the host serves <c>/workspace</c>, <c>/console</c> and their files under <c>/web/</c>. They hold no
    /// secret and need one to do anything, so they are on unless a platform brings pages of its own. Default: true.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Origins, besides this host, that task payloads may show images, audio and video from (a bucket of the
    /// requester's, say <c>https://media.example.com</c>); they join the pages' <c>img-src</c> and <c>media-src</c>.
    /// Scripts, styles and API calls stay on this host whatever is listed. Default: none.
    /// </summary>
    public IList<string> MediaSources { get; } = [];

    /// <summary>Sentences describing what is wrong; empty when the options can be used.</summary>
    public IReadOnlyList<string> Problems() =>
        [.. MediaSources
            .Where(source => !Uri.TryCreate(source, UriKind.Absolute, out var uri)
                || uri.Scheme is not ("https" or "http")
                || uri.PathAndQuery != "/"
                || source.IndexOfAny([' ', ';', ',', '\'']) >= 0)
            .Select(source => $"{Section}:{nameof(MediaSources)} entries must be origins such as https://media.example.com (scheme and host, no path); '{source}' is not.")];
}
