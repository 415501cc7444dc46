using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace InPsyq.Weekly.Tests.Runs;

public sealed class BackfillAndTimerTests(ScriptedStageFixture fixture) : IClassFixture<ScriptedStageFixture>
{
    [Fact]
    public async Task Backfill_runs_each_week_oldest_first_with_its_own_run_and_audit_row()
    {
        var harness = new RunnerHarness(fixture);
        var (org, _) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(1);
        var backfill = harness.Services.GetRequiredService<Backfill>();
        var current = IsoWeek.Containing(DateTimeOffset.UtcNow);
        var weeks = Backfill.Between(current.AddWeeks(-3), current.AddWeeks(-1));

        var results = await backfill.RunAsync(weeks, RunnerHarness.Request(RunMode.PipelineOnly, org), RunTrigger.Cli, null, CancellationToken.None);

        Assert.Equal([current.AddWeeks(-3), current.AddWeeks(-2), current.AddWeeks(-1)], weeks);
        Assert.Equal(weeks.Select(week => week.ToString()), results.Select(result => result.Report!.WeekStart));
        Assert.Equal(3, results.Select(result => result.Report!.RunId).Distinct().Count());
        Assert.All(results, result => Assert.Equal(RunStatus.Completed, result.Report!.Status));
        await using var audit = fixture.DataSource.CreateCommand("select count(*) from weekly_runs where org_id = $1");
        audit.Parameters.Add(new() { Value = org });
        Assert.Equal(3L, await audit.ExecuteScalarAsync());
    }

    [Fact]
    public void Between_lists_every_week_inclusive_and_nothing_for_a_reversed_range()
    {
        var from = IsoWeek.FromMonday(new DateOnly(2026, 12, 21));
        var to = IsoWeek.FromMonday(new DateOnly(2027, 1, 4));
        Assert.Equal(["2026-12-21", "2026-12-28", "2027-01-04"], Backfill.Between(from, to).Select(week => week.ToString()));
        Assert.Empty(Backfill.Between(to, from));
    }

    [Fact]
    public async Task The_timer_runs_FULL_for_the_week_before_its_latest_occurrence_even_when_it_fires_late()
    {
        // Thursday 2026-11-26: the Monday 02:00 occurrence was missed; the run targets the week of 2026-11-16.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 15, 0, 0, TimeSpan.Zero));
        var rollup = new ScriptedStage(PipelineStage.Rollup);
        var services = fixture.CreateServices(configure: s => s.AddSingleton<TimeProvider>(clock).AddSingleton<IPipelineStage>(rollup));
        await new TenantBuilder(fixture.DataSource).AddOrgAsync(1);

        var (_, result) = await services.GetRequiredService<ScheduledWeeklyRun>().AdmitAsync(RunTrigger.Schedule, caller: null, CancellationToken.None);

        var runId = result.RunningRunId!.Value;
        Assert.Equal(1, await fixture.CountAsync(
            $"weekly_runs where run_id = '{runId}' and week_start = '2026-11-16' and trigger = 'schedule' and mode = 'FULL' and scope = 'all'"));
    }
}
