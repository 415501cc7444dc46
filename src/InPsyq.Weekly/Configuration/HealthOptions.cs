using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Configuration;

/// <summary>Budgets of health checks and of the dependency probe that precedes every run.</summary>
public sealed class HealthOptions
{
    [ConfigurationKeyName("HEALTH_CHECK_TIMEOUT_SECONDS")]
    public double CheckTimeoutSeconds { get; set; } = 2;

    /// <summary>How far back an abandoned run keeps the <c>locks</c> check degraded (default 7 days).</summary>
    [ConfigurationKeyName("HEALTH_ABANDONED_WINDOW_SECONDS")]
    public double AbandonedWindowSeconds { get; set; } = 7 * 24 * 3600;

    /// <summary>
    /// How old the oldest visible work-queue message may get while no work item starts before <c>work_queue</c> is
    /// degraded (default 15 minutes).
    /// </summary>
    [ConfigurationKeyName("HEALTH_QUEUE_AGE_DEGRADED_SECONDS")]
    public double QueueAgeDegradedSeconds { get; set; } = 900;

    public TimeSpan CheckTimeout => TimeSpan.FromSeconds(CheckTimeoutSeconds);
    public TimeSpan AbandonedWindow => TimeSpan.FromSeconds(AbandonedWindowSeconds);
    public TimeSpan QueueAgeDegraded => TimeSpan.FromSeconds(QueueAgeDegradedSeconds);
}
