using Dispatch.Events;
using Dispatch.Grains.SiloViews;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Tests.Infrastructure;

/// <summary>
/// The silo's work signals as the waiting claims hear them, except that while <see cref="Losing"/> is set every signal
/// is lost on its way to them (the silo's views still hear it). The periodic fallback is never lost.
/// </summary>
public sealed class LosingWorkSignals(WorkSignals signals) : IWorkSignals
{
    public bool Losing { get; set; }

    public void Listen(Action<WorkSignal> onWork, Action onFallback) =>
        signals.Listen(
            signal =>
            {
                if (!Losing)
                {
                    onWork(signal);
                }
            },
            onFallback);

    /// <summary>Puts it between the silo's signals and the waiting claims of <paramref name="host"/>; call before it starts.</summary>
    public static void Install(DispatchApiFactory host) =>
        host.TestServices = services =>
        {
            services.AddSingleton(sp => new LosingWorkSignals(sp.GetRequiredService<WorkSignals>()));
            services.AddSingleton<IWorkSignals>(sp => sp.GetRequiredService<LosingWorkSignals>());
        };

    public static LosingWorkSignals Of(DispatchApiFactory host) => host.Services.GetRequiredService<LosingWorkSignals>();
}
