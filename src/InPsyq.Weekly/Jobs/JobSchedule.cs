using System.Globalization;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Jobs;

/// <summary>
/// When a job is due: a 6-field NCRONTAB expression in UTC (the only form an Azure timer accepts), or, for jobs
/// without an Azure timer, a 5-field cron or an interval in milliseconds as in the seeds (<c>60000</c>). Interval
/// occurrences are the multiples of the interval since the Unix epoch, so the next one follows from the schedule
/// alone, never from when the last run finished.
/// </summary>
public sealed class JobSchedule
{
    private readonly WeeklySchedule? _cron;
    private readonly long _intervalMs;

    private JobSchedule(string expression, WeeklySchedule? cron, long intervalMs)
    {
        Expression = expression;
        _cron = cron;
        _intervalMs = intervalMs;
    }

    public string Expression { get; }

    /// <summary>Parses <paramref name="expression"/>; with <paramref name="azureTimer"/> only the 6-field NCRONTAB form is accepted.</summary>
    public static bool TryParse(string? expression, bool azureTimer, out JobSchedule schedule)
    {
        schedule = null!;
        if (WeeklySchedule.TryParse(expression, allowFiveFields: !azureTimer, out var cron))
        {
            schedule = new JobSchedule(cron.Expression, cron, 0);
            return true;
        }

        if (!azureTimer
            && long.TryParse(expression, NumberStyles.None, CultureInfo.InvariantCulture, out var intervalMs)
            && intervalMs > 0)
        {
            schedule = new JobSchedule(expression!, null, intervalMs);
            return true;
        }

        return false;
    }

    public DateTimeOffset NextOccurrenceAfter(DateTimeOffset instant)
    {
        if (_cron is not null)
        {
            return _cron.NextOccurrenceAfter(instant);
        }

        var elapsed = instant.ToUnixTimeMilliseconds();
        return DateTimeOffset.FromUnixTimeMilliseconds((Math.DivRem(elapsed, _intervalMs).Quotient + 1) * _intervalMs);
    }
}
