using InPsyq.Server.Cli;
using InPsyq.Weekly.Runs;

namespace InPsyq.Weekly.Tests.Runs;

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

    [Theory]
    [InlineData(409, ApiError.LockedCode, 3)]
    [InlineData(503, "DEPENDENCY_UNAVAILABLE", 4)]
    [InlineData(400, "INVALID_WEEK_START", 64)]
    [InlineData(409, "JOB_NOT_RUNNING", 1)]
    public void A_refusal_maps_to_its_code(int status, string code, int expected) =>
        Assert.Equal(expected, ExitCodes.For(new ApiError(status, code, "refused")));

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
