using InPsyq.Weekly.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Alerts;

/// <summary>
/// The alert webhook. Without <c>ALERT_WEBHOOK_URL</c> nothing is sent or queued, but incidents are still tracked,
/// so a recovery follows once a URL is configured. The URL is a secret: it is never logged or echoed in errors. It is
/// https (plain http only to a loopback host, for tests), and the client follows no redirect and sends no trace header.
/// </summary>
public sealed class AlertOptions
{
    [SecretSetting]
    [ConfigurationKeyName("ALERT_WEBHOOK_URL")]
    public string? WebhookUrl { get; set; }

    [ConfigurationKeyName("ALERT_WEBHOOK_FORMAT")]
    public string Format { get; set; } = "slack";

    [ConfigurationKeyName("ALERT_WEBHOOK_TIMEOUT_SECONDS")]
    public double TimeoutSeconds { get; set; } = 5;

    [ConfigurationKeyName("ALERT_WEBHOOK_MAX_ATTEMPTS")]
    public int MaxAttempts { get; set; } = 3;

    public bool Enabled => !string.IsNullOrWhiteSpace(WebhookUrl);

    /// <summary>The webhook address (only when <see cref="Enabled"/> and validated).</summary>
    public Uri WebhookUri => new(WebhookUrl!, UriKind.Absolute);

    public AlertFormat PayloadFormat => Format == "json" ? AlertFormat.Json : AlertFormat.Slack;

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);
}

/// <summary>Start-up validation; messages name the setting and never echo the URL.</summary>
internal sealed class AlertOptionsValidator : IValidateOptions<AlertOptions>
{
    public ValidateOptionsResult Validate(string? name, AlertOptions options)
    {
        var failures = new List<string>();
        Settings.RequireResolved(failures, options);
        if (options.Enabled && !PlatformReference.IsUnresolved(options.WebhookUrl)
            && !(Uri.TryCreate(options.WebhookUrl, UriKind.Absolute, out var uri)
                 && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))))
        {
            failures.Add("ALERT_WEBHOOK_URL must be an absolute https URL (plain http is accepted for a loopback host only).");
        }

        if (options.Format is not ("slack" or "json"))
        {
            failures.Add($"ALERT_WEBHOOK_FORMAT '{options.Format}' must be 'slack' or 'json'.");
        }

        Settings.RequirePositive(failures, "ALERT_WEBHOOK_TIMEOUT_SECONDS", options.TimeoutSeconds);
        Settings.RequireRange(failures, "ALERT_WEBHOOK_MAX_ATTEMPTS", options.MaxAttempts, 1, 10);
        return Settings.Result(failures);
    }
}
