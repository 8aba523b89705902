using Dispatch.Tests.Http;

namespace Dispatch.Tests.Infrastructure;

/// <summary>
/// A memory-mode host of its own whose waiting claims hear work signals through <see cref="LosingWorkSignals"/>, with
/// the periodic fallback (<c>Dispatch:SiloViews:WorkSignalFallback</c>) at the given period.
/// </summary>
public abstract class LosingSignalsHost : MemoryApiHost
{
    /// <param name="fallback">The fallback period as the configuration writes it, <c>hh:mm:ss</c>.</param>
    protected LosingSignalsHost(string fallback)
        : base(new Dictionary<string, string> { ["Dispatch:SiloViews:WorkSignalFallback"] = fallback }) =>
        LosingWorkSignals.Install(Factory);
}
