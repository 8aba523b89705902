using System.Collections.Immutable;

namespace Dispatch.Common;

/// <summary>
/// One page of a listing. A page ends at its count limit or at its byte bound (payloads and results), whichever comes
/// first, and always holds at least one item when any is left.
/// </summary>
/// <param name="More">
/// True when the page ended at one of its bounds, so that the listing may go on after its last item; false when the
/// listing had no more items.
/// </param>
[GenerateSerializer, Immutable, Alias("Dispatch.ListPage`1")]
public sealed record ListPage<T>(
    [property: Id(0)] ImmutableArray<T> Items,
    [property: Id(1)] bool More)
{
    public static readonly ListPage<T> Empty = new([], false);

    public ListPage<TOther> Select<TOther>(Func<T, TOther> map) => new([.. Items.Select(map)], More);
}
