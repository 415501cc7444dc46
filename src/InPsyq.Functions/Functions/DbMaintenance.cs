using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.ScheduledJobs;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary>The job <c>db-maintenance</c> on the Functions timer (<c>JOB_DB_MAINTENANCE_SCHEDULE</c>, NCRONTAB, UTC).</summary>
public sealed class DbMaintenance(JobRunner jobs)
{
    [Function(nameof(DbMaintenance))]
    public Task Run([TimerTrigger("%JOB_DB_MAINTENANCE_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) =>
        jobs.RunAsync(DbMaintenanceJob.Id, JobTrigger.Schedule, cancellationToken);
}
