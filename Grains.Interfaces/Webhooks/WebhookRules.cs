using Dispatch.Common;
using Dispatch.Events;

namespace Dispatch.Webhooks;

/// <summary>What a registration must look like, before any address is resolved.</summary>
public static class WebhookRules
{
    public const int MinSecretLength = 16;
    public const int MaxSecretLength = 256;
    public const int MaxUrlLength = 2048;

    /// <summary>Registrations one project may hold: each is carried in every copy of the project's settings.</summary>
    public const int MaxPerProject = 20;

    /// <summary>The event types of a project's stream, which a registration may name.</summary>
    public static readonly IReadOnlySet<string> EventTypeNames = new HashSet<string>(StringComparer.Ordinal)
    {
        EventTypes.TaskCreated, EventTypes.TaskLeased, EventTypes.TaskSubmitted, EventTypes.TaskCompleted,
        EventTypes.LeaseExpired, EventTypes.LeaseReleased, EventTypes.TaskDeadLettered, EventTypes.TaskRetried,
        EventTypes.WorkerCertified, EventTypes.WorkerSuspended, EventTypes.SubmissionAccepted, EventTypes.SubmissionRejected,
    };

    public static IReadOnlyList<FieldError> Check(NewWebhook webhook)
    {
        var errors = new List<FieldError>();
        if (ParseUrl(webhook.Url) is null)
        {
            errors.Add(new("url", $"Must be an absolute http or https URL of at most {MaxUrlLength} characters."));
        }

        if (webhook.Secret is null || webhook.Secret.Length is < MinSecretLength or > MaxSecretLength)
        {
            errors.Add(new("secret", $"Must be {MinSecretLength} to {MaxSecretLength} characters."));
        }

        var events = webhook.Events.IsDefault ? [] : webhook.Events;
        for (var i = 0; i < events.Length; i++)
        {
            if (!EventTypeNames.Contains(events[i]))
            {
                errors.Add(new($"events[{i}]", $"Unknown event type '{events[i]}'; known: {string.Join(", ", EventTypeNames.Order(StringComparer.Ordinal))}."));
            }
        }

        return errors;
    }

    /// <summary>The URL when it is absolute http or https without credentials in it, else null.</summary>
    public static Uri? ParseUrl(string? url) =>
        url is { Length: > 0 and <= MaxUrlLength }
        && Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && string.IsNullOrEmpty(uri.UserInfo)
            ? uri
            : null;
}
