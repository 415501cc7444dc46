using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Configuration;

internal sealed class JobsOptionsValidator : IValidateOptions<JobsOptions>
{
    public ValidateOptionsResult Validate(string? name, JobsOptions options)
    {
        var failures = new List<string>();
        Settings.RequireRange(failures, "JOBS_MAX_CONCURRENCY", options.MaxConcurrency, 1, 16);
        Settings.RequirePositive(failures, "JOBS_SHUTDOWN_GRACE_SECONDS", options.ShutdownGraceSeconds);
        Settings.RequirePositive(failures, "JOBS_CANCEL_POLL_SECONDS", options.CancelPollSeconds);
        // These jobs are Azure timers too, so only the 6-field form the Functions host parses is allowed.
        foreach (var (setting, schedule) in new[]
                 {
                     ("JOB_RUN_REAPER_SCHEDULE", options.RunReaperSchedule),
                     ("JOB_MISSED_RUN_WATCH_SCHEDULE", options.MissedRunWatchSchedule),
                     ("JOB_RETENTION_CLEANUP_SCHEDULE", options.RetentionCleanupSchedule),
                     ("JOB_DB_MAINTENANCE_SCHEDULE", options.DbMaintenanceSchedule),
                 })
        {
            if (!WeeklySchedule.TryParse(schedule, out _))
            {
                failures.Add($"{setting} '{schedule}' is not a 6-field NCRONTAB expression (second minute hour day month weekday, UTC).");
            }
        }

        return Settings.Result(failures);
    }
}

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var failures = new List<string>();
        Settings.RequireRange(failures, "RETENTION_RUNS_DAYS", options.RunsDays, 1, 3650);
        Settings.RequireRange(failures, "RETENTION_JOB_EXECUTIONS_DAYS", options.JobExecutionsDays, 1, 3650);
        Settings.RequireRange(failures, "RETENTION_INACTIVE_INTERPRETATIONS_DAYS", options.InactiveInterpretationsDays, 1, 3650);
        return Settings.Result(failures);
    }
}
