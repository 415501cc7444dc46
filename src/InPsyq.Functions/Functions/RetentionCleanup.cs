using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.ScheduledJobs;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary>The job <c>retention-cleanup</c> on the Functions timer (<c>JOB_RETENTION_CLEANUP_SCHEDULE</c>, NCRONTAB, UTC).</summary>
public sealed class RetentionCleanup(JobRunner jobs)
{
    [Function(nameof(RetentionCleanup))]
    public Task Run([TimerTrigger("%JOB_RETENTION_CLEANUP_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) =>
        jobs.RunAsync(RetentionCleanupJob.Id, JobTrigger.Schedule, cancellationToken);
}
