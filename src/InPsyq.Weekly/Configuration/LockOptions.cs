using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Configuration;

/// <summary>The weekly lock: a blob lease renewed while its holder lives, bounded by a hard TTL.</summary>
public sealed class LockOptions
{
    [ConfigurationKeyName("WEEKLY_LOCK_TTL_SECONDS")]
    public double TtlSeconds { get; set; } = 600;

    [ConfigurationKeyName("WEEKLY_LOCK_LEASE_SECONDS")]
    public int LeaseSeconds { get; set; } = 60;

    [ConfigurationKeyName("WEEKLY_LOCK_RENEW_SECONDS")]
    public double RenewSeconds { get; set; } = 20;

    [ConfigurationKeyName("BLOB_LOCK_CONTAINER")]
    public string Container { get; set; } = "weekly-locks";

    [ConfigurationKeyName("REAPER_GRACE_SECONDS")]
    public double ReaperGraceSeconds { get; set; } = 90;

    public TimeSpan Ttl => TimeSpan.FromSeconds(TtlSeconds);
    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);
    public TimeSpan RenewInterval => TimeSpan.FromSeconds(RenewSeconds);
}
