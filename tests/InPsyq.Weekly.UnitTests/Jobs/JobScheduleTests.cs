using InPsyq.Weekly.Jobs;

namespace InPsyq.Weekly.UnitTests.Jobs;

public sealed class JobScheduleTests
{
    [Fact]
    public void A_six_field_cron_gives_the_next_occurrence_in_utc()
    {
        Assert.True(JobSchedule.TryParse("0 0 2 * * 0", azureTimer: true, out var schedule));

        var next = schedule.NextOccurrenceAfter(new DateTimeOffset(2025, 10, 22, 10, 0, 0, TimeSpan.Zero));

        Assert.Equal(new DateTimeOffset(2025, 10, 26, 2, 0, 0, TimeSpan.Zero), next);
        Assert.Equal(DayOfWeek.Sunday, next.DayOfWeek);
    }

    [Theory]
    [InlineData("x y z w v")]
    [InlineData("")]
    [InlineData("0 0 25 * * *")]
    [InlineData("-5")]
    [InlineData("0")]
    public void Nonsense_is_rejected_with_or_without_an_azure_timer(string expression)
    {
        Assert.False(JobSchedule.TryParse(expression, azureTimer: true, out _));
        Assert.False(JobSchedule.TryParse(expression, azureTimer: false, out _));
    }

    [Theory]
    [InlineData("0 2 * * *")]
    [InlineData("60000")]
    public void Five_field_crons_and_millisecond_intervals_are_only_for_jobs_without_an_azure_timer(string expression)
    {
        Assert.True(JobSchedule.TryParse(expression, azureTimer: false, out _));
        Assert.False(JobSchedule.TryParse(expression, azureTimer: true, out _));
    }

    [Fact]
    public void A_five_field_cron_fires_at_second_zero()
    {
        Assert.True(JobSchedule.TryParse("0 2 * * *", azureTimer: false, out var schedule));

        Assert.Equal(
            new DateTimeOffset(2025, 10, 23, 2, 0, 0, TimeSpan.Zero),
            schedule.NextOccurrenceAfter(new DateTimeOffset(2025, 10, 22, 10, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Interval_occurrences_follow_from_the_schedule_not_from_the_instant_asked()
    {
        Assert.True(JobSchedule.TryParse("60000", azureTimer: false, out var schedule));
        var start = new DateTimeOffset(2025, 10, 22, 10, 0, 0, TimeSpan.Zero);

        Assert.Equal(start.AddMinutes(1), schedule.NextOccurrenceAfter(start));
        Assert.Equal(start.AddMinutes(1), schedule.NextOccurrenceAfter(start.AddSeconds(59.5)));
        Assert.Equal(start.AddMinutes(2), schedule.NextOccurrenceAfter(start.AddMinutes(1)));
    }
}
