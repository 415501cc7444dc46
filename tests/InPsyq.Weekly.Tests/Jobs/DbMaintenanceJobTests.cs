using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Ops;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Jobs;

public sealed class DbMaintenanceJobTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task It_analyzes_the_pipeline_tables_and_reports_their_sizes_and_the_weekly_ops_metrics()
    {
        var rows = new RunRows(fixture.DataSource);
        await rows.AddAsync("completed", DateTimeOffset.UtcNow.AddDays(-1), tokensIn: 120, tokensOut: 30);
        await rows.AddAsync("failed", DateTimeOffset.UtcNow.AddDays(-2));
        await rows.AddAsync("completed", DateTimeOffset.UtcNow.AddDays(-20));
        var runner = fixture.CreateServices().GetRequiredService<JobRunner>();

        var result = await runner.RunAsync(DbMaintenanceJob.Id, JobTrigger.Manual, CancellationToken.None);

        Assert.Equal(JobStatus.Succeeded, result.Status);
        var metrics = result.Metrics!;
        Assert.True(metrics["table_bytes.weekly_runs"] > 0);
        Assert.Equal(3, metrics["table_rows.weekly_runs"]);
        Assert.Equal((1, 1), (metrics["runs_7d.runs_by_status.completed"], metrics["runs_7d.runs_by_status.failed"]));
        Assert.Equal((120, 30), (metrics["runs_7d.llm_tokens.in"], metrics["runs_7d.llm_tokens.out"]));
        Assert.Equal(0.5, metrics["runs_7d.failure_rate.runs"]);
        Assert.Equal(1, metrics["job_attempts_7d.running"]);
        await using var analyzed = fixture.DataSource.CreateCommand("select count(*) from pg_stat_user_tables where relname = 'weekly_runs' and last_analyze is not null");
        Assert.Equal(1L, await analyzed.ExecuteScalarAsync());
    }
}
