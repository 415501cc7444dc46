using System.Reflection;
using InPsyq.Functions.Functions;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Tests;

/// <summary>The timers are bound to the schedule settings the standalone host reads (routes: <see cref="GeneratedMetadataTests"/>).</summary>
public class FunctionMetadataTests
{
    [Fact]
    public void The_weekly_timer_is_bound_to_the_WEEKLY_SCHEDULE_setting()
    {
        var trigger = typeof(WeeklyRun).GetMethod(nameof(WeeklyRun.Run))!.GetParameters()[0].GetCustomAttribute<TimerTriggerAttribute>()!;
        Assert.Equal("%WEEKLY_SCHEDULE%", trigger.Schedule);
    }

    [Theory]
    [InlineData(typeof(RunReaper), "%JOB_RUN_REAPER_SCHEDULE%")]
    [InlineData(typeof(MissedRunWatch), "%JOB_MISSED_RUN_WATCH_SCHEDULE%")]
    [InlineData(typeof(RetentionCleanup), "%JOB_RETENTION_CLEANUP_SCHEDULE%")]
    [InlineData(typeof(DbMaintenance), "%JOB_DB_MAINTENANCE_SCHEDULE%")]
    public void Each_maintenance_job_timer_is_bound_to_its_schedule_setting(Type function, string schedule)
    {
        var trigger = function.GetMethod("Run")!.GetParameters()[0].GetCustomAttribute<TimerTriggerAttribute>()!;
        Assert.Equal(schedule, trigger.Schedule);
    }
}
