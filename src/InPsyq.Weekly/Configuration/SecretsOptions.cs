using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Configuration;

/// <summary>
/// The shared secrets of the internal endpoints. Never logged, never echoed. A <c>_PREVIOUS</c> secret is accepted
/// besides the current one while a rotation is rolled out to the callers (docs/deploy.md).
/// </summary>
public sealed class SecretsOptions
{
    public const int MinimumLength = 32;

    [SecretSetting]
    [ConfigurationKeyName("INTERNAL_CRON_SECRET")]
    public string? CronSecret { get; set; }

    [SecretSetting]
    [ConfigurationKeyName("INTERNAL_CRON_SECRET_PREVIOUS")]
    public string? PreviousCronSecret { get; set; }

    [SecretSetting]
    [ConfigurationKeyName("INTERNAL_ADMIN_SECRET")]
    public string? AdminSecret { get; set; }

    [SecretSetting]
    [ConfigurationKeyName("INTERNAL_ADMIN_SECRET_PREVIOUS")]
    public string? PreviousAdminSecret { get; set; }

    /// <summary>The cron secrets a caller may present: the current one and, during a rotation, the previous one.</summary>
    public IReadOnlyList<string> AcceptedCronSecrets => Usable(CronSecret, PreviousCronSecret);

    /// <summary>The admin secrets a caller may present: the current one and, during a rotation, the previous one.</summary>
    public IReadOnlyList<string> AcceptedAdminSecrets => Usable(AdminSecret, PreviousAdminSecret);

    public override string ToString() => "SecretsOptions { redacted }";

    /// <summary>An empty value or an unresolved platform reference is no secret: nothing can authenticate with it.</summary>
    private static string[] Usable(params string?[] secrets) =>
        [.. secrets.Where(secret => !string.IsNullOrEmpty(secret) && !PlatformReference.IsUnresolved(secret)).Select(secret => secret!)];
}
