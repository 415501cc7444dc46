using InPsyq.Server.Cli;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;

namespace InPsyq.Weekly.UnitTests.Runs;

/// <summary>The CLI's exit codes (docs/runs.md): 0 completed, 1 failed, 2 partial, 3 locked, 4 dependency unavailable, 64 invalid input.</summary>
public sealed class ExitCodesTests
{
    [Theory]
    [InlineData(RunStatus.Completed, 0)]
    [InlineData(RunStatus.Planned, 0)]
    [InlineData(RunStatus.Failed, 1)]
    [InlineData(RunStatus.Partial, 2)]
    [InlineData(RunStatus.Locked, 3)]
    [InlineData(RunStatus.Abandoned, 1)]
    public void A_run_status_maps_to_its_code(RunStatus status, int expected) => Assert.Equal(expected, ExitCodes.For(status));

    public static TheoryData<Refusal, int> Refusals => new()
    {
        { new LockedRefusal(Guid.NewGuid(), Holder: null, "refused"), 3 },
        { new Refusal(RefusalKind.Unavailable, "DEPENDENCY_UNAVAILABLE", "refused"), 4 },
        { Refusal.Invalid("INVALID_DATE", "refused", "week_start"), 64 },
        { new Refusal(RefusalKind.NotFound, "ORG_NOT_FOUND", "refused", "org_id"), 64 },
        { new Refusal(RefusalKind.Conflict, "TEAM_ARCHIVED", "refused", "team_id"), 64 },
        { JobErrors.NotRunning, 1 },
        { JobErrors.AlreadyRunning, 64 },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_refusal_maps_to_its_code_by_kind(Refusal refusal, int expected) => Assert.Equal(expected, ExitCodes.For(refusal));

    [Theory]
    [InlineData(new[] { 0, 2, 1, 0 }, 1)]
    [InlineData(new[] { 2, 3 }, 3)]
    [InlineData(new[] { 3, 1 }, 1)]
    [InlineData(new[] { 1, 4 }, 4)]
    [InlineData(new[] { 4, 64 }, 64)]
    [InlineData(new int[0], 0)]
    public void A_backfill_ends_with_its_most_severe_week_not_its_highest_number(int[] codes, int expected) =>
        Assert.Equal(expected, ExitCodes.Worst(codes));
}
