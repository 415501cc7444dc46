using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.ScheduledJobs;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary>The job <c>run-reaper</c> on the Functions timer (<c>JOB_RUN_REAPER_SCHEDULE</c>, NCRONTAB, UTC).</summary>
public sealed class RunReaper(JobRunner jobs)
{
    [Function(nameof(RunReaper))]
    public Task Run([TimerTrigger("%JOB_RUN_REAPER_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) =>
        jobs.RunAsync(RunReaperJob.Id, JobTrigger.Schedule, cancellationToken);
}
