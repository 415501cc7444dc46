using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.ScheduledJobs;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary>The job <c>missed-run-watch</c> on the Functions timer (<c>JOB_MISSED_RUN_WATCH_SCHEDULE</c>, NCRONTAB, UTC).</summary>
public sealed class MissedRunWatch(JobRunner jobs)
{
    [Function(nameof(MissedRunWatch))]
    public Task Run([TimerTrigger("%JOB_MISSED_RUN_WATCH_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) =>
        jobs.RunAsync(MissedRunWatchJob.Id, JobTrigger.Schedule, cancellationToken);
}
