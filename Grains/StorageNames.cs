namespace Dispatch.Grains;

/// <summary>The one named grain storage every Dispatch grain persists through.</summary>
public static class StorageNames
{
    public const string Grains = "dispatch";
}
