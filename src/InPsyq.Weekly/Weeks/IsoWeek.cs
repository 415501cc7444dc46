using System.Globalization;

namespace InPsyq.Weekly.Weeks;

/// <summary>An ISO-8601 week in UTC, named by its Monday and labelled <c>YYYY-Www</c>.</summary>
public readonly record struct IsoWeek : IComparable<IsoWeek>
{
    private IsoWeek(DateOnly monday) => Monday = monday;

    public DateOnly Monday { get; }

    /// <summary>The ISO label: the week's Thursday decides the year (Monday 2024-12-30 is 2025-W01).</summary>
    public string Label
    {
        get
        {
            var day = Monday.ToDateTime(TimeOnly.MinValue);
            return string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(day):D4}-W{ISOWeek.GetWeekOfYear(day):D2}");
        }
    }

    public static IsoWeek FromMonday(DateOnly monday) =>
        IsMonday(monday) ? new IsoWeek(monday) : throw new ArgumentException($"{monday:yyyy-MM-dd} is not a Monday.", nameof(monday));

    public static IsoWeek Containing(DateOnly date) => new(date.AddDays(-(((int)date.DayOfWeek + 6) % 7)));

    public static IsoWeek Containing(DateTimeOffset instant) => Containing(DateOnly.FromDateTime(instant.UtcDateTime));

    public static bool IsMonday(DateOnly date) => date.DayOfWeek == DayOfWeek.Monday;

    public IsoWeek AddWeeks(int weeks) => new(Monday.AddDays(7 * weeks));

    /// <summary>Whole weeks from <paramref name="other"/> to this week (negative when this week is earlier).</summary>
    public int WeeksSince(IsoWeek other) => (Monday.DayNumber - other.Monday.DayNumber) / 7;

    /// <summary>The first instant after this week, in UTC.</summary>
    public DateTimeOffset EndUtc => new(Monday.AddDays(7).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    public int CompareTo(IsoWeek other) => Monday.CompareTo(other.Monday);

    public static bool operator <(IsoWeek left, IsoWeek right) => left.CompareTo(right) < 0;
    public static bool operator >(IsoWeek left, IsoWeek right) => left.CompareTo(right) > 0;
    public static bool operator <=(IsoWeek left, IsoWeek right) => left.CompareTo(right) <= 0;
    public static bool operator >=(IsoWeek left, IsoWeek right) => left.CompareTo(right) >= 0;

    /// <summary>The Monday as <c>yyyy-MM-dd</c>, the form used in URLs, blob names and JSON.</summary>
    public override string ToString() => Monday.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
