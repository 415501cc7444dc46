using InPsyq.Weekly.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.ScheduledJobs;

public static class ScheduledJobsServiceCollectionExtensions
{
    /// <summary>The job engine and the built-in jobs: weekly-run and the maintenance jobs.</summary>
    public static IServiceCollection AddWeeklyJobs(this IServiceCollection services) =>
        services
            .AddJobEngine()
            .AddJob<WeeklyRunJob>()
            .AddJob<RunReaperJob>()
            .AddJob<MissedRunWatchJob>()
            .AddJob<RetentionCleanupJob>()
            .AddJob<DbMaintenanceJob>();
}
