using Dispatch.Common;

namespace Dispatch.Workers;

/// <summary>
/// The defaults and ranges of a worker's settings (contract 1.1), applied by the worker grain to every create and
/// certification, and by the HTTP layer first to name every wrong field at once.
/// </summary>
public static class WorkerRules
{
    public const int DefaultMaxActiveLeases = 5;
    public const int MaxMaxActiveLeases = 1000;
    public const int MaxLevel = 100;

    public static IReadOnlyList<FieldError> CheckMaxActiveLeases(int maxActiveLeases) =>
        maxActiveLeases is < 1 or > MaxMaxActiveLeases ? [new("maxActiveLeases", $"Must be between 1 and {MaxMaxActiveLeases}.")] : [];

    public static IReadOnlyList<FieldError> CheckCertification(string skill, int level)
    {
        var errors = new List<FieldError>();
        if (!Identifiers.IsValid(skill))
        {
            errors.Add(new("skill", $"Must match {Identifiers.Pattern}."));
        }

        if (level is < 1 or > MaxLevel)
        {
            errors.Add(new("level", $"Must be between 1 and {MaxLevel}."));
        }

        return errors;
    }
}
