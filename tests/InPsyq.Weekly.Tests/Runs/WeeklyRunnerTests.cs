using System.Text.Json;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Runs;

/// <summary>Orchestration against real Postgres and Azurite, with scripted stages that write through fences.</summary>
public sealed class WeeklyRunnerTests(ScriptedStageFixture fixture) : IClassFixture<ScriptedStageFixture>
{
    [Theory]
    [InlineData(RunMode.Full, new[] { PipelineStage.Rollup, PipelineStage.Attribution, PipelineStage.Interpretation })]
    [InlineData(RunMode.PipelineOnly, new[] { PipelineStage.Rollup, PipelineStage.Attribution })]
    public async Task Modes_run_exactly_their_stages_in_order(RunMode mode, PipelineStage[] expected)
    {
        var harness = new RunnerHarness(fixture);
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(3);

        var report = (await harness.RunAsync(RunnerHarness.Request(mode, org))).Report!;

        Assert.Equal(RunStatus.Completed, report.Status);
        foreach (var team in teams)
        {
            var calls = harness.Stages.SelectMany(stage => stage.Calls).Where(call => call.TeamId == team).OrderBy(call => call.Started).ToList();
            Assert.Equal(expected, calls.Select(call => call.Stage));
            var teamReport = report.Teams.Single(t => t.TeamId == team);
            Assert.Equal(expected.Select(stage => stage.ToWire()), teamReport.Stages.Select(stage => stage.Stage));
        }

        // Stage by stage: every team finished stage 1 before any team started stage 2.
        var lastRollup = harness.Rollup.Calls.Max(call => call.Ended);
        Assert.All(harness.Attribution.Calls, call => Assert.True(call.Started >= lastRollup));
    }

    [Fact]
    public async Task Interpretation_only_runs_stage_3_from_stored_output_and_refuses_when_none_exists()
    {
        var harness = new RunnerHarness(fixture);
        var tenants = new TenantBuilder(fixture.DataSource);
        var (org, teams) = await tenants.AddOrgAsync(2);

        var refused = await harness.RunAsync(RunnerHarness.Request(RunMode.InterpretationOnly, org));
        Assert.Equal((RefusalKind.Conflict, "PIPELINE_OUTPUT_MISSING"), (refused.Refusal?.Kind, refused.Refusal?.Code));

        await tenants.AddSeriesRowAsync(org, teams[0], RunnerHarness.LastWeek.Monday);
        var report = (await harness.RunAsync(RunnerHarness.Request(RunMode.InterpretationOnly, org))).Report!;
        Assert.Empty(harness.Rollup.Calls);
        Assert.Empty(harness.Attribution.Calls);
        Assert.Equal(2, harness.Interpretation.Calls.Count);
        Assert.All(report.Teams, team => Assert.Equal(["interpretation"], team.Stages.Select(stage => stage.Stage)));
    }

    [Fact]
    public async Task A_team_failing_stage_1_is_not_started_downstream_while_the_others_finish_and_the_run_is_partial()
    {
        var harness = new RunnerHarness(fixture);
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(3);
        harness.Rollup.Script = (team, _) => team.TeamId == teams[1]
            ? throw new StageFailedException("INVALID_VALUE", "Item q7 has a value outside its scale.")
            : Task.CompletedTask;

        var report = (await harness.RunAsync(RunnerHarness.Request(RunMode.Full, org))).Report!;

        Assert.Equal(RunStatus.Partial, report.Status);
        var failed = report.Teams.Single(team => team.TeamId == teams[1]);
        Assert.Equal("failed", failed.Status);
        Assert.Equal(["failed", "not_started", "not_started"], failed.Stages.Select(stage => stage.Status));
        Assert.Equal("upstream_failed", failed.Stages[1].Reason);
        Assert.All(report.Teams.Where(team => team.TeamId != teams[1]), team => Assert.Equal("succeeded", team.Status));
        var error = Assert.Single(report.Errors);
        Assert.Equal(("INVALID_VALUE", "rollup", (Guid?)teams[1]), (error.Code, error.Stage, error.TeamId));
        Assert.Equal(1, report.Counts.TeamsFailed);
        Assert.Equal(2, report.Counts.TeamsSucceeded);
        Assert.Equal(0, await CountWritesAsync(report.RunId, teams[1]));
    }

    [Fact]
    public async Task Every_team_failing_fails_the_run_with_500()
    {
        var harness = new RunnerHarness(fixture);
        var (org, _) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(2);
        harness.Rollup.Script = (_, _) => throw new InvalidOperationException("boom");

        var report = (await harness.RunAsync(RunnerHarness.Request(RunMode.Full, org))).Report!;

        Assert.Equal(RunStatus.Failed, report.Status);
        Assert.All(report.Errors, error => Assert.Equal("STAGE_ERROR", error.Code));
        Assert.DoesNotContain(report.Errors, error => error.Message.Contains("boom", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_timed_out_team_writes_nothing_even_when_its_work_ignores_cancellation()
    {
        var harness = new RunnerHarness(fixture, new Dictionary<string, string?> { ["WEEKLY_TEAM_TIMEOUT_SECONDS"] = "0.3" });
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(3);
        // The slow team sleeps past its budget without looking at the token, then tries to write.
        harness.Rollup.Script = (team, _) => team.TeamId == teams[0] ? Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None) : Task.CompletedTask;

        var report = (await harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, org))).Report!;

        var slow = report.Teams.Single(team => team.TeamId == teams[0]);
        Assert.Equal("timed_out", slow.Status);
        Assert.Equal(["timed_out", "not_started"], slow.Stages.Select(stage => stage.Status));
        Assert.Contains(report.Errors, error => error.Code == "TEAM_TIMEOUT" && error.TeamId == teams[0]);
        Assert.Equal(RunStatus.Partial, report.Status);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(0, await CountWritesAsync(report.RunId, teams[0]));
        Assert.Equal(2, await CountWritesAsync(report.RunId, teams[1]));
    }

    [Fact]
    public async Task Teams_run_in_a_sliding_window_not_in_batches()
    {
        var harness = new RunnerHarness(fixture, new Dictionary<string, string?> { ["WEEKLY_TEAM_PARALLELISM"] = "2" });
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(6);
        harness.Rollup.Script = (team, ct) => Task.Delay(team.TeamId == teams[0] ? 1500 : 100, ct);

        var report = (await harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, org))).Report!;

        Assert.Equal(RunStatus.Completed, report.Status);
        Assert.Equal(2, harness.Rollup.MaxConcurrency);
        var calls = harness.Rollup.Calls.ToDictionary(call => call.TeamId);
        // With batches of two, team 3 would wait for the slow team 1; in a sliding window teams 2-6 pass it by.
        Assert.All(teams.Skip(2), team => Assert.True(calls[team].Started < calls[teams[0]].Ended));
    }

    [Fact]
    public async Task Teams_not_reached_by_the_run_deadline_are_not_started()
    {
        var harness = new RunnerHarness(fixture, new Dictionary<string, string?>
        {
            ["WEEKLY_RUN_DEADLINE_SECONDS"] = "2",
            ["WEEKLY_TEAM_PARALLELISM"] = "1",
        });
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(6);
        harness.Rollup.Script = (_, ct) => Task.Delay(700, ct);

        var report = (await harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, org))).Report!;

        Assert.Equal(RunStatus.Partial, report.Status);
        Assert.Contains("deadline_reached", report.Notes);
        var rollup = teams.Select(team => report.Teams.Single(t => t.TeamId == team).Stages[0]).ToList();
        Assert.Equal("succeeded", rollup[0].Status);
        Assert.Equal(("not_started", "deadline_reached"), (rollup[^1].Status, rollup[^1].Reason));
        // Stage 2 needs every team's stage 1, so nobody reached it.
        Assert.All(report.Teams, team => Assert.Equal("not_started", team.Stages[1].Status));
        foreach (var team in report.Teams.Where(team => team.Stages[0].Status == "not_started"))
        {
            Assert.Equal(0, await CountWritesAsync(report.RunId, team.TeamId));
        }
    }

    [Fact]
    public async Task Each_run_writes_one_audit_row_with_counts_and_per_team_details()
    {
        var harness = new RunnerHarness(fixture);
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(2);

        var report = (await harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, org))).Report!;

        await using var command = fixture.DataSource.CreateCommand(
            "select status, trigger, scope, mode, teams_total, teams_succeeded, details::text, finished_at is not null, duration_ms from weekly_runs where run_id = $1");
        command.Parameters.Add(new() { Value = report.RunId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("completed", reader.GetString(0));
        Assert.Equal("cli", reader.GetString(1));
        Assert.Equal($"org:{org}", reader.GetString(2));
        Assert.Equal("PIPELINE_ONLY", reader.GetString(3));
        Assert.Equal((2, 2), (reader.GetInt32(4), reader.GetInt32(5)));
        var details = JsonDocument.Parse(reader.GetString(6)).RootElement.GetProperty("teams");
        Assert.Equal(teams.Select(team => team.ToString()).Order(), details.EnumerateArray().Select(team => team.GetProperty("team_id").GetString()).Order());
        Assert.True(reader.GetBoolean(7));
        Assert.True(reader.GetInt64(8) >= 0);
    }

    [Fact]
    public async Task A_dry_run_writes_nothing_takes_no_lock_and_plans_every_team_and_stage()
    {
        var harness = new RunnerHarness(fixture);
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(2);
        var before = await SnapshotAsync();

        var result = await harness.RunAsync(RunnerHarness.Request(RunMode.Full, org, dryRun: true));

        var report = result.Report!;
        Assert.Equal(RunStatus.Planned, report.Status);
        Assert.Null(result.Refusal);
        Assert.True(report.Lock!.Free);
        Assert.Equal(teams.Count * 3, report.Plan!.Count);
        Assert.All(report.Plan, entry => Assert.Equal(("run", "input_changed"), (entry.Action, entry.Reason)));
        Assert.All(harness.Stages, stage => Assert.Empty(stage.Calls));
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_dry_run_reports_a_held_lock_and_still_answers_200()
    {
        var harness = new RunnerHarness(fixture);
        var (org, _) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(1);
        var locks = harness.Services.GetRequiredService<WeeklyLockManager>();
        var holder = Holder();
        await using var held = await locks.HoldAsync(LockKey.ForOrg(RunnerHarness.LastWeek, org), holder);

        var report = (await harness.RunAsync(RunnerHarness.Request(RunMode.Full, org, dryRun: true))).Report!;

        Assert.Equal(RunStatus.Planned, report.Status);
        Assert.False(report.Lock!.Free);
        Assert.Equal(holder.RunId, report.Lock.Holder!.RunId);
    }

    [Fact]
    public async Task A_held_lock_refuses_the_run_with_409_the_holder_and_Retry_After_and_records_the_attempt_as_locked()
    {
        var harness = new RunnerHarness(fixture);
        var (org, _) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(1);
        var holder = Holder();
        var locks = harness.Services.GetRequiredService<WeeklyLockManager>();
        await using var held = await locks.HoldAsync(LockKey.ForOrg(RunnerHarness.LastWeek, org), holder);

        var result = await harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, org));

        var refusal = Assert.IsType<LockedRefusal>(result.Refusal);
        Assert.Equal((RefusalKind.Conflict, "LOCKED"), (refusal.Kind, refusal.Code));
        Assert.Equal(holder.RunId, refusal.Holder!.RunId);
        Assert.InRange(refusal.RetryAfter!.Value.TotalSeconds, 1, 15);
        Assert.Empty(harness.Rollup.Calls);
        await using var command = fixture.DataSource.CreateCommand("select status from weekly_runs where run_id = $1");
        command.Parameters.Add(new() { Value = refusal.RunId });
        Assert.Equal("locked", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_whole_week_run_skips_an_org_held_by_a_scoped_run_records_it_locked_and_goes_on()
    {
        var harness = new RunnerHarness(fixture, new Dictionary<string, string?> { ["WEEKLY_TEAM_PARALLELISM"] = "3" });
        var week = RunnerHarness.LastWeek.AddWeeks(-3);
        var tenants = new TenantBuilder(fixture.DataSource);
        var (busyOrg, _) = await tenants.AddOrgAsync(1);
        var (freeOrg, _) = await tenants.AddOrgAsync(1);
        var locks = harness.Services.GetRequiredService<WeeklyLockManager>();
        await using var held = await locks.HoldAsync(LockKey.ForOrg(week, busyOrg), Holder());

        var report = (await harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, week: week))).Report!;

        Assert.All(report.Teams.Where(team => team.OrgId == busyOrg), team => Assert.Equal("locked", team.Status));
        Assert.Contains(report.Teams, team => team.OrgId == freeOrg && team.Status == "succeeded");
        Assert.Equal(RunStatus.Partial, report.Status);
        Assert.DoesNotContain(harness.Rollup.Calls, call => call.OrgId == busyOrg);
    }

    [Fact]
    public async Task An_org_locked_at_first_is_tried_again_at_the_end_and_runs_once_it_is_free()
    {
        var harness = new RunnerHarness(fixture, new Dictionary<string, string?> { ["WEEKLY_TEAM_PARALLELISM"] = "3" });
        var week = RunnerHarness.LastWeek.AddWeeks(-4);
        var tenants = new TenantBuilder(fixture.DataSource);
        var (busyOrg, _) = await tenants.AddOrgAsync(1); // the smaller id: processed first, found locked
        var (freeOrg, _) = await tenants.AddOrgAsync(1);
        var locks = harness.Services.GetRequiredService<WeeklyLockManager>();
        var held = await locks.HoldAsync(LockKey.ForOrg(week, busyOrg), Holder());
        harness.Rollup.Script = async (team, _) =>
        {
            if (team.OrgId == freeOrg)
            {
                await held.DisposeAsync(); // the scoped run holding busyOrg ends meanwhile
            }
        };

        var report = (await harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, week: week))).Report!;

        Assert.Equal(RunStatus.Completed, report.Status);
        Assert.All(report.Teams, team => Assert.Equal("succeeded", team.Status));
        Assert.Equal([freeOrg, busyOrg], harness.Rollup.Calls.Select(call => call.OrgId).Where(org => org == freeOrg || org == busyOrg));
    }

    private static LockHolder Holder() =>
        new(Guid.NewGuid(), "http", "FULL", "all", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(5), "test-host");

    private async Task<long> CountWritesAsync(Guid runId, Guid teamId)
    {
        await using var command = fixture.DataSource.CreateCommand("select count(*) from scripted_writes where run_id = $1 and team_id = $2");
        command.Parameters.Add(new() { Value = runId });
        command.Parameters.Add(new() { Value = teamId });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<string> SnapshotAsync() =>
        $"runs={await fixture.CountAsync("weekly_runs")} writes={await fixture.CountAsync("scripted_writes")} fences={await fixture.CountAsync("weekly_lock_fences")} " +
        $"locks={string.Join(',', await fixture.ListBlobsAsync(fixture.LockContainer))}";
}
