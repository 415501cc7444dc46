using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Configuration;

/// <summary>The scheduled maintenance jobs: their schedules (6-field NCRONTAB, UTC) and the scheduler's limits.</summary>
public sealed class JobsOptions
{
    [ConfigurationKeyName("JOBS_MAX_CONCURRENCY")]
    public int MaxConcurrency { get; set; } = 2;

    [ConfigurationKeyName("JOBS_SHUTDOWN_GRACE_SECONDS")]
    public double ShutdownGraceSeconds { get; set; } = 30;

    /// <summary>How often a host running a job looks for a manual cancel requested on another host.</summary>
    [ConfigurationKeyName("JOBS_CANCEL_POLL_SECONDS")]
    public double CancelPollSeconds { get; set; } = 5;

    [ConfigurationKeyName("JOB_RUN_REAPER_SCHEDULE")]
    public string RunReaperSchedule { get; set; } = "0 */5 * * * *";

    [ConfigurationKeyName("JOB_MISSED_RUN_WATCH_SCHEDULE")]
    public string MissedRunWatchSchedule { get; set; } = "0 0 * * * *";

    [ConfigurationKeyName("JOB_RETENTION_CLEANUP_SCHEDULE")]
    public string RetentionCleanupSchedule { get; set; } = "0 0 3 * * *";

    [ConfigurationKeyName("JOB_DB_MAINTENANCE_SCHEDULE")]
    public string DbMaintenanceSchedule { get; set; } = "0 0 4 * * 0";

    public TimeSpan ShutdownGrace => TimeSpan.FromSeconds(ShutdownGraceSeconds);

    public TimeSpan CancelPollInterval => TimeSpan.FromSeconds(CancelPollSeconds);
}

/// <summary>How long <c>retention-cleanup</c> keeps history (alert rows follow <c>RETENTION_RUNS_DAYS</c>).</summary>
public sealed class RetentionOptions
{
    [ConfigurationKeyName("RETENTION_RUNS_DAYS")]
    public int RunsDays { get; set; } = 180;

    [ConfigurationKeyName("RETENTION_JOB_EXECUTIONS_DAYS")]
    public int JobExecutionsDays { get; set; } = 30;

    [ConfigurationKeyName("RETENTION_INACTIVE_INTERPRETATIONS_DAYS")]
    public int InactiveInterpretationsDays { get; set; } = 180;
}
