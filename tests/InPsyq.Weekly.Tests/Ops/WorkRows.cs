using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;
using InPsyq.Weekly.WorkItems;
using Npgsql;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>A FULL run in progress, as diagnostics see it: its audit row and its work items, worked by two hosts.</summary>
public sealed record RunInProgress(Guid RunId, Guid OrgId);

/// <summary>Runs with real work items (through <see cref="WorkItemStore"/>), for what diagnostics show of them.</summary>
public static class WorkRows
{
    public const string FirstHost = "host-a";
    public const string SecondHost = "host-b";

    /// <summary>
    /// A running FULL run over a new org of three teams in stage-1 items of two: the first item finished by
    /// <see cref="FirstHost"/> (one team succeeded, one failed: the failed one is final), the second still worked by
    /// <see cref="SecondHost"/>. So: 2 items, 1 final; 3 teams, 1 final; the org at stage 1 with 1 open item.
    /// </summary>
    public static async Task<RunInProgress> AddRunInProgressAsync(NpgsqlDataSource dataSource, DateTimeOffset startedAt, IsoWeek week)
    {
        var (orgId, teamIds) = await new TenantBuilder(dataSource).AddOrgAsync(3);
        var runId = await new RunRows(dataSource).AddAsync("running", startedAt, week);
        var store = new WorkItemStore(dataSource);
        var items = (await store.PlanAsync(
            runId, PipelineStage.Rollup, PipelineStage.Interpretation, [new PlannedOrg(orgId, [.. teamIds.Order()])], [], teamsPerItem: 2, CancellationToken.None)).CreatedItems;
        var first = (Delivery.Claimed)await store.ClaimAsync(items[0], FirstHost, 5, 2, CancellationToken.None);
        await store.RecordAsync(first.Item, first.Claim, first.Item.TeamIds[0], StageOutcome.Written(), 5, CancellationToken.None);
        await store.RecordAsync(first.Item, first.Claim, first.Item.TeamIds[1], StageOutcome.Fail("INVALID_VALUE", "bad answer"), 5, CancellationToken.None);
        await store.CompleteAsync(first.Item, first.Claim, [], 2, [], CancellationToken.None);
        await store.ClaimAsync(items[1], SecondHost, 5, 2, CancellationToken.None);
        return new RunInProgress(runId, orgId);
    }

    /// <summary>
    /// A running INTERPRETATION_ONLY run over a new org of three teams in one stage-3 item, worked by
    /// <see cref="FirstHost"/>: two teams answered in the last seconds (three LLM calls, one a repair; 4,000 tokens).
    /// </summary>
    public static async Task<RunInProgress> AddInterpretationInProgressAsync(NpgsqlDataSource dataSource, DateTimeOffset startedAt, IsoWeek week)
    {
        var (orgId, teamIds) = await new TenantBuilder(dataSource).AddOrgAsync(3);
        var runId = await new RunRows(dataSource).AddAsync("running", startedAt, week);
        var store = new WorkItemStore(dataSource);
        var items = (await store.PlanAsync(
            runId, PipelineStage.Interpretation, PipelineStage.Interpretation, [new PlannedOrg(orgId, [.. teamIds.Order()])], [], teamsPerItem: 3, CancellationToken.None)).CreatedItems;
        var claimed = (Delivery.Claimed)await store.ClaimAsync(items[0], FirstHost, 5, 2, CancellationToken.None);
        await store.RecordAsync(claimed.Item, claimed.Claim, claimed.Item.TeamIds[0],
            StageOutcome.Written() with { TokensIn = 1500, TokensOut = 500, LlmCalls = 1 }, 5, CancellationToken.None);
        await store.RecordAsync(claimed.Item, claimed.Claim, claimed.Item.TeamIds[1],
            StageOutcome.Written() with { TokensIn = 1600, TokensOut = 400, LlmCalls = 2 }, 5, CancellationToken.None);
        return new RunInProgress(runId, orgId);
    }
}
