using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.WorkItems;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.WorkItems;

/// <summary>
/// The work-item rows against the real server: claims fence stale deliveries out, the org barrier between stages 1
/// and 2 has exactly one creator under contention, stage 3 follows each stage-2 item, poison and the run's end.
/// </summary>
public sealed class WorkItemStoreTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    private const string Host = "test-host";

    private readonly WorkItemStore _store = new(fixture.DataSource);
    private readonly LockFences _fences = new(fixture.DataSource);

    [Fact]
    public async Task Planning_creates_the_first_stage_in_items_of_at_most_the_item_size_each_with_an_outbox_row()
    {
        var (runId, org) = await StartRunAsync(teams: 5);

        var items = (await _store.PlanAsync(runId, PipelineStage.Rollup, PipelineStage.Interpretation, [org], [], teamsPerItem: 2, CancellationToken.None)).CreatedItems;

        Assert.Equal(3, items.Count);
        Assert.Equal(new WorkProgress(3, 0, 5, 0), await _store.ProgressAsync(runId, CancellationToken.None));
        var unsent = await _store.UnsentAsync(TimeSpan.Zero, 100, CancellationToken.None);
        Assert.Equal(items.Order(), unsent.Where(row => row.RunId == runId).Select(row => row.ItemId).Order());
    }

    [Fact]
    public async Task A_redelivery_takes_a_new_claim_and_the_earlier_delivery_can_neither_write_nor_finish()
    {
        var (runId, org) = await StartRunAsync(teams: 1);
        var itemId = (await _store.PlanAsync(runId, PipelineStage.Rollup, PipelineStage.Rollup, [org], [], 25, CancellationToken.None)).CreatedItems.Single();

        var first = Assert.IsType<Delivery.Claimed>(await _store.ClaimAsync(itemId, Host, maxAttempts: 5, 25, CancellationToken.None));
        var second = Assert.IsType<Delivery.Claimed>(await _store.ClaimAsync(itemId, Host, maxAttempts: 5, 25, CancellationToken.None));

        Assert.Equal((1, 2), (first.Item.Attempts, second.Item.Attempts));
        var team = org.TeamIds[0];
        await Assert.ThrowsAsync<LockLostException>(() => _store.RecordAsync(first.Item, first.Claim, team, StageOutcome.Written(), 5, CancellationToken.None));
        await Assert.ThrowsAsync<LockLostException>(() => Fence(first).WriteAsync([], CancellationToken.None));
        Assert.Null(await _store.CompleteAsync(first.Item, first.Claim, [], 25, [], CancellationToken.None));

        await Fence(second).WriteAsync([], CancellationToken.None);
        await _store.RecordAsync(second.Item, second.Claim, team, StageOutcome.Written(), 5, CancellationToken.None);
        var completion = await _store.CompleteAsync(second.Item, second.Claim, [], 25, [], CancellationToken.None);
        Assert.NotNull(completion);
        Assert.Equal((0, true), (completion.CreatedItems.Count, completion.RunFinal));
        Assert.IsType<Delivery.Stale>(await _store.ClaimAsync(itemId, Host, maxAttempts: 5, 25, CancellationToken.None));
    }

    [Fact]
    public async Task The_last_stage_1_item_of_an_org_creates_its_stage_2_items_once_however_many_finish_at_the_same_time()
    {
        var (runId, org) = await StartRunAsync(teams: 12);
        var stageOne = (await _store.PlanAsync(runId, PipelineStage.Rollup, PipelineStage.Attribution, [org], [], teamsPerItem: 1, CancellationToken.None)).CreatedItems;
        var claimed = new List<Delivery.Claimed>();
        foreach (var itemId in stageOne)
        {
            var delivery = Assert.IsType<Delivery.Claimed>(await _store.ClaimAsync(itemId, Host, 5, 1, CancellationToken.None));
            await _store.RecordAsync(delivery.Item, delivery.Claim, delivery.Item.TeamIds[0], StageOutcome.Written(), 1, CancellationToken.None);
            claimed.Add(delivery);
        }

        var completions = await Task.WhenAll(claimed.Select(delivery => Task.Run(() => _store.CompleteAsync(delivery.Item, delivery.Claim, [], 2, [], CancellationToken.None))));

        var creators = completions.Where(completion => completion!.CreatedItems.Count > 0).ToList();
        Assert.Single(creators);
        Assert.Equal(6, creators[0]!.CreatedItems.Count);
        Assert.All(completions, completion => Assert.False(completion!.RunFinal));
        Assert.Equal(new WorkProgress(18, 12, 12, 0), await _store.ProgressAsync(runId, CancellationToken.None));
    }

    [Fact]
    public async Task A_stage_2_item_creates_the_stage_3_item_of_its_done_teams_and_records_the_others_not_started()
    {
        var (runId, org) = await StartRunAsync(teams: 3);
        var stageTwo = (await _store.PlanAsync(runId, PipelineStage.Attribution, PipelineStage.Interpretation, [org], [], 25, CancellationToken.None)).CreatedItems.Single();
        var delivery = Assert.IsType<Delivery.Claimed>(await _store.ClaimAsync(stageTwo, Host, 5, 25, CancellationToken.None));
        await _store.RecordAsync(delivery.Item, delivery.Claim, org.TeamIds[0], StageOutcome.Written(), 1, CancellationToken.None);
        await _store.RecordAsync(delivery.Item, delivery.Claim, org.TeamIds[1], StageOutcome.Fail("STAGE_ERROR", "boom"), 1, CancellationToken.None);
        await _store.RecordAsync(delivery.Item, delivery.Claim, org.TeamIds[2], StageOutcome.Skip(StageReasons.HashMatch), 1, CancellationToken.None);

        var completion = await _store.CompleteAsync(delivery.Item, delivery.Claim, [], 25, [], CancellationToken.None);

        var stageThree = Assert.IsType<Delivery.Claimed>(await _store.ClaimAsync(completion!.CreatedItems.Single(), Host, 5, 25, CancellationToken.None));
        Assert.Equal(PipelineStage.Interpretation, stageThree.Item.Stage);
        Assert.Equal([org.TeamIds[0], org.TeamIds[2]], stageThree.Item.TeamIds.Order());
        var results = await _store.ResultsAsync(runId, CancellationToken.None);
        var failedTeam = Assert.Single(results, result => result.TeamId == org.TeamIds[1] && result.Stage == PipelineStage.Interpretation);
        Assert.Equal((StageStatus.NotStarted, StageReasons.UpstreamFailed), (failedTeam.Status, failedTeam.Reason));
        Assert.False(completion.RunFinal);

        foreach (var team in stageThree.Item.TeamIds)
        {
            await _store.RecordAsync(stageThree.Item, stageThree.Claim, team, StageOutcome.Written(), 1, CancellationToken.None);
        }

        Assert.True((await _store.CompleteAsync(stageThree.Item, stageThree.Claim, [], 25, [], CancellationToken.None))!.RunFinal);
        Assert.Equal(new WorkProgress(2, 2, 3, 3), await _store.ProgressAsync(runId, CancellationToken.None));
    }

    [Fact]
    public async Task An_item_delivered_more_than_the_maximum_is_final_failed_and_its_teams_are_poisoned()
    {
        var (runId, org) = await StartRunAsync(teams: 2);
        var itemId = (await _store.PlanAsync(runId, PipelineStage.Rollup, PipelineStage.Attribution, [org], [], 25, CancellationToken.None)).CreatedItems.Single();
        await _store.ClaimAsync(itemId, Host, maxAttempts: 2, 25, CancellationToken.None);
        await _store.ClaimAsync(itemId, Host, maxAttempts: 2, 25, CancellationToken.None);

        var poisoned = Assert.IsType<Delivery.Poisoned>(await _store.ClaimAsync(itemId, Host, maxAttempts: 2, 25, CancellationToken.None));

        Assert.Equal((0, true), (poisoned.Completion.CreatedItems.Count, poisoned.Completion.RunFinal));
        var results = await _store.ResultsAsync(runId, CancellationToken.None);
        Assert.Equal(
            [(StageStatus.Failed, WorkItemStore.PoisonedCode), (StageStatus.Failed, WorkItemStore.PoisonedCode)],
            results.Where(result => result.Stage == PipelineStage.Rollup).Select(result => (result.Status, result.Code)));
        Assert.All(results.Where(result => result.Stage == PipelineStage.Attribution), result => Assert.Equal(StageStatus.NotStarted, result.Status));
        Assert.IsType<Delivery.Stale>(await _store.ClaimAsync(itemId, Host, maxAttempts: 2, 25, CancellationToken.None));
    }

    [Fact]
    public async Task Sent_outbox_rows_are_not_sent_again_and_rows_of_final_items_are_dropped()
    {
        var (runId, org) = await StartRunAsync(teams: 2);
        var items = (await _store.PlanAsync(runId, PipelineStage.Rollup, PipelineStage.Rollup, [org], [], 1, CancellationToken.None)).CreatedItems;
        var rows = (await _store.UnsentAsync(TimeSpan.Zero, 100, CancellationToken.None)).Where(row => row.RunId == runId).ToList();

        await _store.MarkSentAsync([rows[0].ItemId], CancellationToken.None);

        Assert.Equal([rows[1].ItemId], (await _store.UnsentAsync(TimeSpan.Zero, 100, CancellationToken.None)).Where(row => row.RunId == runId).Select(row => row.ItemId));
        var delivery = Assert.IsType<Delivery.Claimed>(await _store.ClaimAsync(rows[1].ItemId, Host, 5, 1, CancellationToken.None));
        await _store.CompleteAsync(delivery.Item, delivery.Claim, [], 1, [], CancellationToken.None);
        Assert.DoesNotContain(await _store.UnsentAsync(TimeSpan.Zero, 100, CancellationToken.None), row => row.RunId == runId);
        Assert.Equal(2, items.Count);
    }

    private WriteFence Fence(Delivery.Claimed delivery) =>
        _fences.For(RunnerHarness.LastWeek, delivery.Item.OrgId, delivery.Item.RunId, delivery.Claim);

    /// <summary>A running run (its audit row and the org's fence) over a new org of <paramref name="teams"/> teams.</summary>
    private async Task<(Guid RunId, PlannedOrg Org)> StartRunAsync(int teams)
    {
        var (orgId, teamIds) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(teams);
        var runId = Guid.CreateVersion7();
        var runs = fixture.CreateServices().GetRequiredService<WeeklyRunStore>();
        await runs.StartAsync(new RunStart(runId, RunTrigger.Cli, RunnerHarness.Request(RunMode.Full), DateTimeOffset.UtcNow, Host), CancellationToken.None);
        await _fences.TakeAsync(RunnerHarness.LastWeek, orgId, runId, CancellationToken.None);
        return (runId, new PlannedOrg(orgId, [.. teamIds.Order()]));
    }
}
