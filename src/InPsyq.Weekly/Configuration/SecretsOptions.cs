using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Configuration;

/// <summary>The shared secrets of the internal endpoints. Never logged, never echoed.</summary>
public sealed class SecretsOptions
{
    public const int MinimumLength = 32;

    [ConfigurationKeyName("INTERNAL_CRON_SECRET")]
    public string? CronSecret { get; set; }

    [ConfigurationKeyName("INTERNAL_ADMIN_SECRET")]
    public string? AdminSecret { get; set; }

    public override string ToString() => "SecretsOptions { redacted }";
}
