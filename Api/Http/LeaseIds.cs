namespace Dispatch.Api;

/// <summary>Server-made identifiers: 1 to 64 uppercase letters and digits.</summary>
public static class LeaseIds
{
    public static bool IsValid(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9'));
}
