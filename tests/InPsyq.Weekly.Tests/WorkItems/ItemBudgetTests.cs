using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.WorkItems;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.WorkItems;

/// <summary>
/// An item stops starting teams when its time budget is spent (a queue-triggered function must end before the host's
/// functionTimeout): the teams it did not reach go to a new item of the same stage, and the run completes as usual.
/// </summary>
public sealed class ItemBudgetTests(ScriptedStageFixture fixture) : IClassFixture<ScriptedStageFixture>
{
    [Fact]
    public async Task The_teams_an_item_did_not_reach_within_its_budget_go_to_a_new_item_each_worked_once()
    {
        var (_, teamIds) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(teams: 6);
        var rollup = new ScriptedStage(PipelineStage.Rollup) { Script = (_, ct) => Task.Delay(400, ct) };
        var services = fixture.CreateServices(
            new Dictionary<string, string?>
            {
                ["WEEKLY_WORK_ITEM_TEAMS"] = "6",
                ["WEEKLY_TEAM_PARALLELISM"] = "1",
                ["WEEKLY_WORK_ITEM_BUDGET_SECONDS"] = "1",
            },
            configure: s => s.AddSingleton<IPipelineStage>(rollup));

        var report = (await services.GetRequiredService<WeeklyRunner>().RunAsync(
            RunnerHarness.Request(mode: RunMode.PipelineOnly), RunTrigger.Cli, CancellationToken.None)).Report!;

        Assert.Equal(RunStatus.Completed, report.Status);
        // Every team was worked once, none recorded as not reached, and the first item gave some of its teams away.
        Assert.Equal(teamIds.Order(), rollup.Calls.Select(call => call.TeamId).Order());
        var results = await services.GetRequiredService<WorkItemStore>().ResultsAsync(report.RunId, CancellationToken.None);
        Assert.All(teamIds, teamId => Assert.Equal(StageStatus.Succeeded, results.Single(result => result.TeamId == teamId && result.Stage == PipelineStage.Rollup).Status));
        Assert.True(await fixture.CountAsync($"weekly_work_items where run_id = '{report.RunId}' and stage = 1") >= 2, "the budget created no new item");
        Assert.Equal(6, await fixture.CountAsync($"weekly_work_items i, unnest(i.team_ids) team where i.run_id = '{report.RunId}' and i.stage = 1"));
    }
}
