using System.Text.RegularExpressions;

namespace Dispatch.Common;

/// <summary>The shape of every caller-chosen identifier.</summary>
public static partial class Identifiers
{
    // \z, not $: $ would also accept a trailing newline.
    public const string Pattern = @"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z";

    public static bool IsValid(string? id) => id is not null && ValidId().IsMatch(id);

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex ValidId();
}
