using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary>The <c>weekly-run</c> job's mapping of run results (docs/jobs.md).</summary>
public sealed class WeeklyRunJobTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task A_week_locked_by_another_run_is_skipped_not_failed()
    {
        var services = fixture.CreateServices();
        var week = services.GetRequiredService<ScheduledWeeklyRun>().CurrentTargetWeek()!.Value;
        var now = DateTimeOffset.UtcNow;
        var other = new LockHolder(Guid.NewGuid(), "http", "FULL", "all", now, now.AddMinutes(10), "other-host/1");
        await using var held = await services.GetRequiredService<WeeklyLockManager>().HoldAsync(LockKey.WholeWeek(week), other);

        var outcome = await services.GetRequiredService<WeeklyRunJob>().RunAsync(
            new JobContext(WeeklyRunJob.Id, Guid.NewGuid(), 1, JobTrigger.Schedule), CancellationToken.None);

        Assert.Equal(JobStatus.Skipped, outcome!.Status);
        Assert.StartsWith("LOCKED: ", outcome.Error, StringComparison.Ordinal);
    }
}
