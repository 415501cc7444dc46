using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Configuration;

/// <summary>Scheduling, parallelism and time budgets of a weekly run.</summary>
public sealed class WeeklyRunOptions
{
    [ConfigurationKeyName("WEEKLY_SCHEDULE")]
    public string Schedule { get; set; } = "0 0 2 * * 1";

    [ConfigurationKeyName("WEEKLY_TEAM_PARALLELISM")]
    public int TeamParallelism { get; set; } = 3;

    [ConfigurationKeyName("WEEKLY_TEAM_TIMEOUT_SECONDS")]
    public double TeamTimeoutSeconds { get; set; } = 5;

    [ConfigurationKeyName("WEEKLY_HTTP_DEADLINE_SECONDS")]
    public double HttpDeadlineSeconds { get; set; } = 200;

    [ConfigurationKeyName("WEEKLY_RUN_DEADLINE_SECONDS")]
    public double RunDeadlineSeconds { get; set; } = 21600;

    /// <summary>Time after the end of the target week by which a counting run must exist (default Monday 08:00 UTC).</summary>
    [ConfigurationKeyName("WEEKLY_DEADLINE")]
    public TimeSpan Deadline { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How long a run keeps retrying to finish its audit row while Postgres is unreachable.</summary>
    [ConfigurationKeyName("WEEKLY_AUDIT_FINISH_RETRY_SECONDS")]
    public double AuditFinishRetrySeconds { get; set; } = 30;

    public TimeSpan TeamTimeout => TimeSpan.FromSeconds(TeamTimeoutSeconds);
    public TimeSpan HttpDeadline => TimeSpan.FromSeconds(HttpDeadlineSeconds);
    public TimeSpan RunDeadline => TimeSpan.FromSeconds(RunDeadlineSeconds);
    public TimeSpan AuditFinishRetry => TimeSpan.FromSeconds(AuditFinishRetrySeconds);
}
