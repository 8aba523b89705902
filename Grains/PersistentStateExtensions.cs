using Microsoft.Extensions.Logging;

namespace Dispatch.Grains;

internal static partial class PersistentStateExtensions
{
    /// <summary>
    /// Writes the state; when the write fails the activation is dropped, so that the change it holds in memory
    /// but never stored is not served to the next caller (it reloads what storage really has).
    /// </summary>
    public static async Task WriteOrDeactivateAsync<T>(this IPersistentState<T> state, IGrainBase grain, ILogger logger)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception e)
        {
            LogStateNotWritten(logger, e, grain.GrainContext.GrainId);
            grain.DeactivateOnIdle();
            throw;
        }
    }
}
