using System.Text.Json;
using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.WorkItems;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary>The <c>weekly-run</c> job's mapping of run results (docs/jobs.md).</summary>
public sealed class WeeklyRunJobTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task The_job_succeeds_once_its_run_is_admitted_and_the_queue_workers_run_it()
    {
        await new TenantBuilder(fixture.DataSource).AddOrgAsync(teams: 3);
        var services = fixture.CreateServices();

        var outcome = await services.GetRequiredService<WeeklyRunJob>().RunAsync(
            new JobContext(WeeklyRunJob.Id, Guid.NewGuid(), 1, JobTrigger.Schedule), CancellationToken.None);

        // Nothing of the run was worked by the job: it is running, its first items wait on the queue.
        Assert.Equal(JobStatus.Succeeded, outcome!.Status);
        var data = JsonSerializer.SerializeToElement(outcome.Data, WeeklyJson.Options);
        Assert.Equal("running", data.GetProperty("status").GetString());
        var runId = data.GetProperty("run_id").GetGuid();
        Assert.Equal(1, await fixture.CountAsync($"weekly_runs where run_id = '{runId}' and status = 'running'"));
        Assert.Equal(0, await fixture.CountAsync($"weekly_work_items where run_id = '{runId}' and status <> 'pending'"));

        var audit = services.GetRequiredService<WeeklyRunStore>();
        await services.GetRequiredService<WorkQueueWorker>().WorkAsync(async token => await audit.ReportAsync(runId, token) is not null, CancellationToken.None);
        Assert.Equal(RunStatus.Completed, (await audit.ReportAsync(runId, CancellationToken.None))!.Status);
    }

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
