using System.Reflection;
using InPsyq.Functions.Functions;
using InPsyq.Weekly.Diagnostics;
using InPsyq.Weekly.Health;
using InPsyq.Weekly.Http;
using InPsyq.Weekly.Jobs;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Tests;

/// <summary>The adapter exposes the same routes and schedules as the standalone host.</summary>
public class FunctionMetadataTests
{
    [Theory]
    [InlineData(typeof(RunWeekly), nameof(RunWeekly.Run), RunWeeklyEndpoint.Route)]
    [InlineData(typeof(WeeklyHealth), nameof(WeeklyHealth.Run), WeeklyHealthEndpoint.Route)]
    [InlineData(typeof(WeeklyRunsDiag), nameof(WeeklyRunsDiag.List), WeeklyRunsDiagEndpoint.Route)]
    [InlineData(typeof(JobsDiag), nameof(JobsDiag.List), JobsDiagEndpoint.Route)]
    [InlineData(typeof(RunJob), nameof(RunJob.Run), JobEndpoints.RunRoute)]
    [InlineData(typeof(CancelJob), nameof(CancelJob.Run), JobEndpoints.CancelRoute)]
    [InlineData(typeof(Live), nameof(Live.Run), LiveEndpoint.Route)]
    public void Http_functions_use_the_shared_routes(Type function, string method, string route)
    {
        var trigger = function.GetMethod(method)!.GetParameters()
            .Select(parameter => parameter.GetCustomAttribute<HttpTriggerAttribute>())
            .Single(attribute => attribute is not null)!;
        Assert.Equal(route, trigger.Route);
        Assert.Equal(AuthorizationLevel.Anonymous, trigger.AuthLevel);
    }

    [Fact]
    public void The_run_endpoint_accepts_every_method_so_it_can_answer_405_itself()
    {
        var trigger = typeof(RunWeekly).GetMethod(nameof(RunWeekly.Run))!.GetParameters()[0].GetCustomAttribute<HttpTriggerAttribute>()!;
        Assert.Contains("post", trigger.Methods!);
        Assert.Contains("get", trigger.Methods!);
    }

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
