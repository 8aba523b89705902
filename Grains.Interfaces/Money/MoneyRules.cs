using System.Globalization;
using System.Text;

namespace Dispatch.Money;

/// <summary>
/// The bounds of bonuses and payouts. Both the HTTP layer (to name every wrong field at once) and the worker grain (so
/// that a platform calling the grain directly gets the same checks) apply them. Amounts are bounded so that no sum of a
/// worker's entries can leave <see cref="decimal"/>, and exact to a ten-thousandth.
/// </summary>
public static class MoneyRules
{
    public const int Decimals = 4;

    /// <summary>The largest bonus, from the contract.</summary>
    public const decimal MaxBonus = 10_000m;

    /// <summary>The largest single payout: far above any balance a crowd worker reaches, far below decimal's range.</summary>
    public const decimal MaxPayout = 1_000_000_000m;

    /// <summary>The largest reward per submission or review, from the contract.</summary>
    public const decimal MaxReward = 1_000_000m;

    public const int MaxIdempotencyKeyLength = 64;

    /// <summary>The most entries one page of a ledger holds.</summary>
    public const int MaxLedgerPage = 1000;

    /// <summary>Reasons and references, in UTF-8 bytes.</summary>
    public const int MaxTextBytes = 1024;

    public static IReadOnlyList<(string Field, string Message)> Check(BonusRequest request)
    {
        var errors = new List<(string, string)>();
        Amount(errors, request.Amount, MaxBonus);
        Text(errors, "reason", request.Reason);
        Key(errors, request.IdempotencyKey);
        return errors;
    }

    public static IReadOnlyList<(string Field, string Message)> Check(PayoutRequest request)
    {
        var errors = new List<(string, string)>();
        Amount(errors, request.Amount, MaxPayout);
        Text(errors, "reference", request.Reference);
        Key(errors, request.IdempotencyKey);
        return errors;
    }

    /// <summary>The same amount with no trailing zeros, so that 1.50 and 1.5 read back alike from any store.</summary>
    public static decimal Normalize(decimal amount) => amount / 1.0000000000000000000000000000m;

    /// <summary>
    /// Null when <paramref name="amount"/> lies in its range and is exact to <see cref="Decimals"/> places; else why not.
    /// Rewards may be 0 (<paramref name="zeroAllowed"/>); bonuses and payouts may not.
    /// </summary>
    public static string? AmountError(decimal amount, decimal max, bool zeroAllowed)
    {
        if (amount < 0 || amount > max || (amount == 0 && !zeroAllowed))
        {
            return zeroAllowed
                ? string.Create(CultureInfo.InvariantCulture, $"Must be between 0 and {max:0}.")
                : string.Create(CultureInfo.InvariantCulture, $"Must be more than 0 and at most {max:#,0}.");
        }

        return decimal.Round(amount, Decimals) != amount ? $"At most {Decimals} decimal places." : null;
    }

    private static void Amount(List<(string, string)> errors, decimal amount, decimal max)
    {
        if (AmountError(amount, max, zeroAllowed: false) is { } error)
        {
            errors.Add(("amount", error));
        }
    }

    private static void Text(List<(string, string)> errors, string field, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            errors.Add((field, "Required."));
        }
        else if (Encoding.UTF8.GetByteCount(text) > MaxTextBytes)
        {
            errors.Add((field, $"Must be at most {MaxTextBytes} bytes."));
        }
        else if (text.Contains('\0', StringComparison.Ordinal))
        {
            errors.Add((field, NoNul));
        }
    }

    // The ledger's text columns hold no NUL in PostgreSQL; memory mode refuses it too, so both answer alike.
    private const string NoNul = "Must not contain the NUL character (\\u0000).";

    private static void Key(List<(string, string)> errors, string? key)
    {
        if (key is not { Length: > 0 and <= MaxIdempotencyKeyLength })
        {
            errors.Add(("idempotencyKey", $"Must be 1 to {MaxIdempotencyKeyLength} characters."));
        }
        else if (key.Contains('\0', StringComparison.Ordinal))
        {
            errors.Add(("idempotencyKey", NoNul));
        }
    }
}
