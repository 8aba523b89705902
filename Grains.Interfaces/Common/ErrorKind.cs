namespace Dispatch.Common;

/// <summary>
/// Why a grain refused a command. Each value maps to one problem <c>type</c> of the HTTP contract;
/// the numbers are stored in messages and never change.
/// </summary>
public enum ErrorKind
{
    None = 0,
    Validation = 1,
    NotFound = 2,
    Conflict = 3,
    Forbidden = 4,
    LeaseExpired = 5,
    LeaseNotActive = 6,
    WorkerBlocked = 7,
    ProjectNotOpen = 8,
    NotReviewable = 9,
    InsufficientBalance = 10,
}
