using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.UnitTests.Runs;

public class RunRequestValidatorTests
{
    private static readonly IsoWeek s_current = IsoWeek.FromMonday(new DateOnly(2026, 11, 23));

    [Fact]
    public void Defaults_are_FULL_for_the_last_completed_week()
    {
        var request = RunRequestValidator.Validate(new RunRequestDraft(), s_current, out var error);
        Assert.Null(error);
        Assert.Equal("2026-11-16", request.Week.ToString());
        Assert.Equal(RunMode.Full, request.Mode);
        Assert.False(request.DryRun);
        Assert.False(request.Force);
        Assert.Equal("all", request.Scope);
    }

    [Theory]
    [InlineData(0, "2026-11-23")]
    [InlineData(-1, "2026-11-16")]
    [InlineData(-52, "2025-11-24")]
    public void Week_offset_counts_back_from_the_current_week(long offset, string expected) =>
        Assert.Equal(expected, RunRequestValidator.Validate(new RunRequestDraft { WeekOffset = offset }, s_current, out _).Week.ToString());

    [Fact]
    public void Oldest_week_start_is_52_weeks_back_and_the_current_week_is_allowed()
    {
        Assert.Null(Error(new RunRequestDraft { WeekStart = "2025-11-24" }));
        Assert.Null(Error(new RunRequestDraft { WeekStart = "2026-11-23" }));
        Assert.Equal("WEEK_OUT_OF_RANGE", Error(new RunRequestDraft { WeekStart = "2025-11-17" })?.Code);
    }

    [Fact]
    public void Scope_names_the_team_or_org()
    {
        var org = Guid.NewGuid();
        var team = Guid.NewGuid();
        Assert.Equal($"org:{org}", RunRequestValidator.Validate(new RunRequestDraft { OrgId = org.ToString() }, s_current, out _).Scope);
        Assert.Equal($"team:{team}", RunRequestValidator.Validate(new RunRequestDraft { OrgId = org.ToString(), TeamId = team.ToString() }, s_current, out _).Scope);
    }

    [Fact]
    public void A_bad_week_is_reported_before_a_bad_mode_whatever_the_field_order() =>
        Assert.Equal("NOT_A_MONDAY", Error(new RunRequestDraft { Mode = "full", WeekStart = "2026-11-24" })?.Code);

    private static Refusal? Error(RunRequestDraft draft)
    {
        RunRequestValidator.Validate(draft, s_current, out var error);
        return error;
    }
}
