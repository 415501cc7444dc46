using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.ScheduledJobs;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary>The weekly run on the Functions timer (<c>WEEKLY_SCHEDULE</c>, NCRONTAB, UTC), tracked as the job <c>weekly-run</c>.</summary>
public sealed class WeeklyRun(JobRunner jobs)
{
    [Function(nameof(WeeklyRun))]
    public Task Run([TimerTrigger("%WEEKLY_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) =>
        jobs.RunAsync(WeeklyRunJob.Id, JobTrigger.Schedule, cancellationToken);
}
