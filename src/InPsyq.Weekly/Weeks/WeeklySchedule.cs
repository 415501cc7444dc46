using NCrontab;

namespace InPsyq.Weekly.Weeks;

/// <summary>
/// A 6-field NCRONTAB schedule in UTC, parsed with the same library as the Azure Functions timer trigger so that
/// both hosts agree on every occurrence. Jobs without an Azure timer may also use the classic 5-field form
/// (minute hour day month weekday), which fires at second 0.
/// </summary>
public sealed class WeeklySchedule
{
    private static readonly TimeSpan[] s_lookBackWindows =
        [TimeSpan.FromDays(1), TimeSpan.FromDays(8), TimeSpan.FromDays(32), TimeSpan.FromDays(367)];

    private readonly CrontabSchedule _schedule;

    private WeeklySchedule(string expression, CrontabSchedule schedule)
    {
        Expression = expression;
        _schedule = schedule;
    }

    public string Expression { get; }

    public static WeeklySchedule Parse(string expression) =>
        TryParse(expression, out var schedule)
            ? schedule
            : throw new FormatException($"'{expression}' is not a 6-field NCRONTAB expression (second minute hour day month weekday).");

    public static bool TryParse(string? expression, out WeeklySchedule schedule) => TryParse(expression, allowFiveFields: false, out schedule);

    public static bool TryParse(string? expression, bool allowFiveFields, out WeeklySchedule schedule)
    {
        schedule = null!;
        var fields = expression?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length ?? 0;
        if (expression is null || (fields != 6 && !(allowFiveFields && fields == 5)))
        {
            return false;
        }

        var parsed = CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = fields == 6 });
        if (parsed is null)
        {
            return false;
        }

        schedule = new WeeklySchedule(expression, parsed);
        return true;
    }

    public DateTimeOffset NextOccurrenceAfter(DateTimeOffset instant) =>
        new(_schedule.GetNextOccurrence(instant.UtcDateTime), TimeSpan.Zero);

    /// <summary>The latest occurrence at or before <paramref name="instant"/>, or null when none fell in the last year.</summary>
    public DateTimeOffset? LatestOccurrenceAtOrBefore(DateTimeOffset instant)
    {
        var end = instant.UtcDateTime;
        foreach (var window in s_lookBackWindows)
        {
            // NCrontab's range end is exclusive; one tick past the instant makes "at or before" inclusive.
            var occurrences = _schedule.GetNextOccurrences(end - window - TimeSpan.FromTicks(1), end.AddTicks(1));
            DateTime? latest = null;
            foreach (var occurrence in occurrences)
            {
                latest = occurrence;
            }

            if (latest is { } found)
            {
                return new DateTimeOffset(found, TimeSpan.Zero);
            }
        }

        return null;
    }

    /// <summary>
    /// The week a scheduled run processes: the last completed week before the occurrence, derived from the
    /// occurrence itself rather than from "now", so a late firing still targets the week it was meant for.
    /// </summary>
    public static IsoWeek TargetWeekFor(DateTimeOffset occurrence) => IsoWeek.Containing(occurrence).AddWeeks(-1);
}
