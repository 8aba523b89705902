namespace Dispatch.Api.Auth;

/// <summary>The three roles of the API.</summary>
[Flags]
public enum Roles
{
    None = 0,
    Admin = 1,
    Requester = 2,
    Worker = 4,
}

/// <summary>Who made a request: the admin, or a requester or worker with its id.</summary>
public sealed record Caller(Roles Role, string? Id)
{
    public static readonly Caller Admin = new(Roles.Admin, null);

    public bool IsAdmin => Role == Roles.Admin;

    /// <summary>The requester id a project created by this caller belongs to (null: the admin's).</summary>
    public string? OwnerId => Role == Roles.Requester ? Id : null;
}
