using System.Text.Json.Nodes;
using InPsyq.Weekly.Hashing;
using InPsyq.Weekly.Interpretation;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static InPsyq.Weekly.Tests.Interpretation.InterpretationTestData;

namespace InPsyq.Weekly.Tests.Interpretation;

/// <summary>Stage 3 with the offline interpreter (no endpoint configured): inputs, idempotency, planning and atomic storage.</summary>
public sealed class InterpretationStageTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    private readonly InterpretationHarness _harness = new(fixture);

    [Fact]
    public async Task The_offline_interpreter_writes_a_valid_row_and_the_run_says_so()
    {
        var (org, team) = await SeededTeamAsync();

        var outcome = await _harness.RunAsync(_harness.Services(), org, team);

        Assert.Equal(StageOutcome.Written(), outcome);
        Assert.Contains(InterpretationStage.OfflineNote, _harness.Notes);
        var row = await _harness.ActiveAsync(team.TeamId);
        Assert.Equal((OfflineInterpreter.ModelId, 0, 0), (row!.ModelId, row.TokensIn, row.TokensOut));
        Assert.Equal(StageInputHashes.Interpretation("attr-1", PipelineVersions.Prompt, OfflineInterpreter.ModelId, PipelineVersions.InterpretationSchema), row.InputHash);
        var sections = JsonNode.Parse(row.Sections)!;
        Assert.Equal("emotional_load", (string)sections["primary_drivers"]!["internal"]![0]!["label"]!);
        Assert.Equal("Team 2", (string)sections["primary_drivers"]!["external"]![0]!["label"]!);
    }

    [Fact]
    public async Task An_unchanged_rerun_skips_and_force_replaces_the_active_row()
    {
        var (org, team) = await SeededTeamAsync();
        var services = _harness.Services();
        await _harness.RunAsync(services, org, team);
        var first = await _harness.ActiveAsync(team.TeamId);

        var rerun = await _harness.RunAsync(services, org, team);
        Assert.Equal(StageOutcome.Skip("hash_match"), rerun);
        Assert.Equal(first, await _harness.ActiveAsync(team.TeamId));

        var forced = await _harness.RunAsync(services, org, team, force: true);
        Assert.Equal(StageOutcome.Written(), forced);
        var second = await _harness.ActiveAsync(team.TeamId);
        Assert.NotEqual(first!.Id, second!.Id);
        Assert.Equal(2, await _harness.RowCountAsync(team.TeamId));
    }

    [Fact]
    public async Task A_forced_run_that_meets_the_interpretation_it_wrote_itself_does_not_write_it_again()
    {
        var (org, team) = await SeededTeamAsync();
        var services = _harness.Services();
        var stage = InterpretationHarness.Stage(services);
        var context = await _harness.ContextAsync(services, org, force: true);

        // The same run works the team twice: its item was delivered again after its first host died between writing
        // the interpretation and recording the team's result.
        var first = await (await stage.BeginOrgAsync(context, CancellationToken.None)).RunTeamAsync(team, CancellationToken.None);
        var redelivered = await (await stage.BeginOrgAsync(context, CancellationToken.None)).RunTeamAsync(team, CancellationToken.None);

        Assert.Equal((StageOutcome.Written(), StageOutcome.Written()), (first, redelivered));
        Assert.Equal(1, await _harness.RowCountAsync(team.TeamId));
        Assert.Equal(StageOutcome.Written(), await _harness.RunAsync(services, org, team, force: true));
        Assert.Equal(2, await _harness.RowCountAsync(team.TeamId));
    }

    [Fact]
    public async Task A_changed_attribution_hash_is_interpreted_again()
    {
        var (org, team) = await SeededTeamAsync();
        var services = _harness.Services();
        await _harness.RunAsync(services, org, team);
        await _harness.SeedAsync(team, "attr-2", org.Teams[1].TeamId);

        var outcome = await _harness.RunAsync(services, org, team);

        Assert.Equal(StageOutcome.Written(), outcome);
        Assert.Equal(StageInputHashes.Interpretation("attr-2", PipelineVersions.Prompt, OfflineInterpreter.ModelId, PipelineVersions.InterpretationSchema),
            (await _harness.ActiveAsync(team.TeamId))!.InputHash);
    }

    [Fact]
    public async Task A_team_without_stage_two_output_is_skipped()
    {
        var org = await _harness.AddOrgAsync(3);
        var services = _harness.Services();
        await _harness.SeedSeriesAsync(org.Teams[1], "attr-1");
        await _harness.SeedAsync(org.Teams[2], "attr-1", seriesHash: "attr-0");

        foreach (var team in org.Teams)
        {
            Assert.Equal(StageOutcome.Skip("missing_pipeline_output"), await _harness.RunAsync(services, org, team));
            Assert.Equal(0, await _harness.RowCountAsync(team.TeamId));
        }
    }

    [Theory]
    [InlineData("no_data")]
    [InlineData("suppressed")]
    public async Task A_stage_two_skip_for_missing_data_is_passed_on(string reason)
    {
        var (org, team) = await SeededTeamAsync();
        var services = _harness.Services();
        var progress = new OrgProgress(org);
        progress.Record(team, new TeamStageResult(PipelineStage.Attribution, StageOutcome.Skip(reason), 0));
        var orgStage = await InterpretationHarness.Stage(services).BeginOrgAsync(await _harness.ContextAsync(services, org, progress: progress), CancellationToken.None);

        Assert.Equal(StageOutcome.Skip(reason), await orgStage.RunTeamAsync(team, CancellationToken.None));
        Assert.Equal(StagePlan.Skip(reason), await orgStage.PlanTeamAsync(team, CancellationToken.None));
    }

    [Fact]
    public async Task The_plan_says_what_a_run_would_do_without_writing()
    {
        var org = await _harness.AddOrgAsync(4);
        var (missing, fresh, done, upstream) = (org.Teams[0], org.Teams[1], org.Teams[2], org.Teams[3]);
        await _harness.SeedAsync(fresh, "attr-1");
        await _harness.SeedAsync(done, "attr-1");
        var services = _harness.Services();
        await _harness.RunAsync(services, org, done);
        var progress = new OrgProgress(org);
        progress.Record(upstream, new TeamStageResult(PipelineStage.Attribution, StageOutcome.Skip("input_changed"), 0, StagePlan.Run("input_changed")));

        var plans = await PlanAsync(services, org, force: false, progress);
        var forced = await PlanAsync(services, org, force: true, new OrgProgress(org));

        Assert.Equal(
            [StagePlan.Skip("missing_pipeline_output"), StagePlan.Run("input_changed"), StagePlan.Skip("hash_match"), StagePlan.Run("upstream_will_run")],
            plans);
        Assert.Equal(
            [StagePlan.Skip("missing_pipeline_output"), StagePlan.Run("forced"), StagePlan.Run("forced"), StagePlan.Skip("missing_pipeline_output")],
            forced);
        Assert.Equal(0, await _harness.RowCountAsync(fresh.TeamId));
        Assert.Equal(1, await _harness.RowCountAsync(done.TeamId));
    }

    [Fact]
    public async Task A_failure_between_deactivate_and_insert_keeps_the_previous_row_active()
    {
        var (org, team) = await SeededTeamAsync();
        await _harness.InsertActiveAsync(team, "previous-hash");
        var previous = await _harness.ActiveAsync(team.TeamId);
        var services = _harness.Services();
        var context = await _harness.ContextAsync(services, org);
        var row = new InterpretationRow(org.OrgId, team.TeamId, Week, "new-hash", OfflineInterpreter.ModelId, PipelineVersions.Prompt,
            ValidSections(), TokensIn: -1, TokensOut: 0, context.RunId);

        // The negative token count breaks weekly_interpretations_tokens_check on insert, after the deactivation ran.
        await Assert.ThrowsAsync<PostgresException>(
            () => context.Fence.WriteAsync(InterpretationStore.ReplaceActive(row), CancellationToken.None));

        Assert.Equal(previous, await _harness.ActiveAsync(team.TeamId));
        Assert.Equal(1, await _harness.RowCountAsync(team.TeamId));
    }

    [Fact]
    public async Task A_run_that_lost_its_fence_writes_nothing()
    {
        var (org, team) = await SeededTeamAsync();
        var services = _harness.Services();
        var orgStage = await InterpretationHarness.Stage(services).BeginOrgAsync(await _harness.ContextAsync(services, org), CancellationToken.None);
        await services.GetRequiredService<LockFences>().TakeAsync(Week, org.OrgId, Guid.NewGuid(), CancellationToken.None);

        await Assert.ThrowsAsync<LockLostException>(() => orgStage.RunTeamAsync(team, CancellationToken.None));
        Assert.Equal(0, await _harness.RowCountAsync(team.TeamId));
    }

    [Fact]
    public async Task A_cancelled_team_writes_nothing()
    {
        var (org, team) = await SeededTeamAsync();
        var services = _harness.Services();
        var orgStage = await InterpretationHarness.Stage(services).BeginOrgAsync(await _harness.ContextAsync(services, org), CancellationToken.None);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => orgStage.RunTeamAsync(team, new CancellationToken(canceled: true)));
        Assert.Equal(0, await _harness.RowCountAsync(team.TeamId));
    }

    [Fact]
    public void Offline_mode_keeps_the_default_team_budget()
    {
        Assert.Null(InterpretationHarness.Stage(_harness.Services()).TeamTimeout);
    }

    private async Task<List<StagePlan>> PlanAsync(IServiceProvider services, OrgRef org, bool force, OrgProgress progress)
    {
        var orgStage = await InterpretationHarness.Stage(services).BeginOrgAsync(await _harness.ContextAsync(services, org, force, progress), CancellationToken.None);
        var plans = new List<StagePlan>();
        foreach (var team in org.Teams)
        {
            plans.Add(await orgStage.PlanTeamAsync(team, CancellationToken.None));
        }

        return plans;
    }

    private async Task<(OrgRef Org, TeamRef Team)> SeededTeamAsync()
    {
        var org = await _harness.AddOrgAsync(2);
        await _harness.SeedAsync(org.Teams[0], "attr-1", org.Teams[1].TeamId);
        return (org, org.Teams[0]);
    }
}
