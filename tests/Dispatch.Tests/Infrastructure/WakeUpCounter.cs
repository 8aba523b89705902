using System.Diagnostics.Metrics;
using Dispatch.Api.Work;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Tests.Infrastructure;

/// <summary>Counts the waiting claims one host wakes (<c>dispatch.claims.woken</c>), by what woke them.</summary>
public sealed class WakeUpCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _bySignal;
    private long _byFallback;

    public WakeUpCounter(DispatchApiFactory host)
    {
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Meter.Name == WorkWaiters.MeterName && instrument.Name == "dispatch.claims.woken")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "by", Value: "signal" })
                {
                    Interlocked.Add(ref _bySignal, value);
                }
                else if (tag is { Key: "by", Value: "fallback" })
                {
                    Interlocked.Add(ref _byFallback, value);
                }
            }
        });
        _listener.Start();
    }

    public long BySignal => Interlocked.Read(ref _bySignal);

    public long ByFallback => Interlocked.Read(ref _byFallback);

    public void Dispose() => _listener.Dispose();
}
