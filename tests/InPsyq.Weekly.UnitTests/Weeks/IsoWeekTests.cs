using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.UnitTests.Weeks;

public class IsoWeekTests
{
    [Theory]
    [InlineData("2024-12-30", "2025-W01")]
    [InlineData("2020-12-28", "2020-W53")]
    [InlineData("2026-12-28", "2026-W53")]
    [InlineData("2026-01-05", "2026-W02")]
    [InlineData("2021-01-04", "2021-W01")]
    public void Label_follows_ISO_8601_where_the_Thursday_decides_the_year(string monday, string label) =>
        Assert.Equal(label, IsoWeek.FromMonday(DateOnly.Parse(monday)).Label);

    [Theory]
    [InlineData("2026-11-23", "2026-11-23")]
    [InlineData("2026-11-25", "2026-11-23")]
    [InlineData("2026-11-29", "2026-11-23")]
    [InlineData("2027-01-01", "2026-12-28")]
    public void Containing_finds_the_Monday_of_the_week(string date, string monday) =>
        Assert.Equal(monday, IsoWeek.Containing(DateOnly.Parse(date)).ToString());

    [Fact]
    public void FromMonday_refuses_other_days() =>
        Assert.Throws<ArgumentException>(() => IsoWeek.FromMonday(new DateOnly(2026, 11, 24)));

    [Fact]
    public void Containing_an_instant_uses_UTC()
    {
        // Sunday 23:30 in UTC-05:00 is already Monday 04:30 UTC.
        var instant = new DateTimeOffset(2026, 11, 22, 23, 30, 0, TimeSpan.FromHours(-5));
        Assert.Equal("2026-11-23", IsoWeek.Containing(instant).ToString());
    }

    [Fact]
    public void AddWeeks_and_WeeksSince_are_inverse()
    {
        var week = IsoWeek.FromMonday(new DateOnly(2026, 11, 23));
        Assert.Equal(-52, week.AddWeeks(-52).WeeksSince(week));
        Assert.Equal("2025-11-24", week.AddWeeks(-52).ToString());
    }
}

public class WeeklyScheduleTests
{
    private static readonly WeeklySchedule s_mondays = WeeklySchedule.Parse("0 0 2 * * 1");

    [Fact]
    public void The_timer_targets_the_week_before_the_occurrence_not_the_week_of_now()
    {
        var occurrence = new DateTimeOffset(2026, 11, 23, 2, 0, 0, TimeSpan.Zero);
        Assert.Equal("2026-11-16", WeeklySchedule.TargetWeekFor(occurrence).ToString());
    }

    [Fact]
    public void A_late_firing_runs_for_the_latest_occurrence_at_or_before_now()
    {
        // Downtime from Monday morning until Thursday: the one catch-up still targets the week before Monday.
        var now = new DateTimeOffset(2026, 11, 26, 15, 0, 0, TimeSpan.Zero);
        var occurrence = s_mondays.LatestOccurrenceAtOrBefore(now);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 2, 0, 0, TimeSpan.Zero), occurrence);
        Assert.Equal("2026-11-16", WeeklySchedule.TargetWeekFor(occurrence!.Value).ToString());
    }

    [Fact]
    public void An_occurrence_exactly_now_counts()
    {
        var now = new DateTimeOffset(2026, 11, 23, 2, 0, 0, TimeSpan.Zero);
        Assert.Equal(now, s_mondays.LatestOccurrenceAtOrBefore(now));
    }

    [Fact]
    public void Sunday_schedule_from_a_Wednesday_is_the_coming_Sunday() =>
        Assert.Equal(
            new DateTimeOffset(2025, 10, 26, 2, 0, 0, TimeSpan.Zero),
            WeeklySchedule.Parse("0 0 2 * * 0").NextOccurrenceAfter(new DateTimeOffset(2025, 10, 22, 10, 0, 0, TimeSpan.Zero)));

    [Theory]
    [InlineData("x y z w v")]
    [InlineData("0 2 * * 1")]
    [InlineData("")]
    [InlineData("0 0 25 * * 1")]
    public void Invalid_or_five_field_schedules_are_rejected(string expression) =>
        Assert.False(WeeklySchedule.TryParse(expression, out _));
}
