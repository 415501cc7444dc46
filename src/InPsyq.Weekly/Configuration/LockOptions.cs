using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Configuration;

/// <summary>The weekly lock: a run's infinite blob lease, with its holder's (informational) expiry and the reaper's grace.</summary>
public sealed class LockOptions
{
    [ConfigurationKeyName("WEEKLY_LOCK_TTL_SECONDS")]
    public double TtlSeconds { get; set; } = 28800;

    [ConfigurationKeyName("WEEKLY_LOCK_LEASE_SECONDS")]
    public int LeaseSeconds { get; set; } = 60;

    [ConfigurationKeyName("BLOB_LOCK_CONTAINER")]
    public string Container { get; set; } = "weekly-locks";

    [ConfigurationKeyName("REAPER_GRACE_SECONDS")]
    public double ReaperGraceSeconds { get; set; } = 90;

    public TimeSpan Ttl => TimeSpan.FromSeconds(TtlSeconds);
    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);
}
