using InPsyq.Weekly.Health;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary>The <c>jobs</c> health check judges the registered jobs: failing latest attempts and overdue schedules.</summary>
public sealed class JobsHealthCheckTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task An_enabled_job_overdue_by_more_than_two_periods_degrades_jobs_and_one_that_never_ran_does_not()
    {
        var now = new DateTimeOffset(2026, 3, 4, 12, 2, 0, TimeSpan.Zero);
        var services = fixture.CreateServices();
        var check = new JobsHealthCheck(services.GetRequiredService<JobExecutionLog>(), services.GetRequiredService<JobRegistry>(), new FakeTimeProvider(now));
        await JobKit.AddAttemptAsync(fixture.DataSource, RetentionCleanupJob.Id, "succeeded", now.AddHours(-20));
        await JobKit.AddAttemptAsync(fixture.DataSource, RunReaperJob.Id, "succeeded", now.AddMinutes(-12));
        await JobKit.AddAttemptAsync(fixture.DataSource, "retired-job", "failed", now.AddMinutes(-12));

        var withinTwoPeriods = await check.CheckHealthAsync(new HealthCheckContext());
        await JobKit.AddAttemptAsync(fixture.DataSource, RunReaperJob.Id, "succeeded", now.AddMinutes(-22));
        await using (var command = fixture.DataSource.CreateCommand("delete from scheduled_job_executions where started_at > $1 - interval '15 minutes' and job_id = 'run-reaper'"))
        {
            command.Parameters.Add(new() { Value = now });
            await command.ExecuteNonQueryAsync();
        }

        var overdue = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal("healthy", withinTwoPeriods.Status.ToString().ToLowerInvariant());
        Assert.Equal("degraded", overdue.Status.ToString().ToLowerInvariant());
        Assert.Contains("run-reaper (overdue since 2026-03-04 11:45 UTC)", overdue.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("retention-cleanup", overdue.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("retired-job", overdue.Description, StringComparison.Ordinal);
    }
}
