using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Runs;

/// <summary>
/// When a week counts as run, and when it must have: shared by the <c>weekly_run</c> health check, the
/// <c>missed-run-watch</c> job and the recovery of <c>week_missed</c> alerts. A week counts as run when an unscoped, non-dry FULL run for it ended
/// <c>completed</c> or <c>partial</c> (dry runs leave no <c>weekly_runs</c> row); it is due by its deadline,
/// <c>WEEKLY_DEADLINE</c> after the end of the week.
/// </summary>
public static class WeekCoverage
{
    /// <summary>The rule for a run that just finished (<see cref="Audit.WeeklyRunStore"/> applies it to the audit rows in SQL).</summary>
    public static bool Counts(RunRequest request, RunStatus status) =>
        request.IsWholeWeek && request.Mode == RunMode.Full && !request.DryRun && status is RunStatus.Completed or RunStatus.Partial;

    public static DateTimeOffset DeadlineOf(IsoWeek week, TimeSpan deadline) => week.EndUtc + deadline;

    /// <summary>The most recent week whose deadline is at or before <paramref name="now"/>.</summary>
    public static IsoWeek LatestWeekPastDeadline(DateTimeOffset now, TimeSpan deadline)
    {
        var week = IsoWeek.Containing(now).AddWeeks(-1);
        while (DeadlineOf(week, deadline) > now)
        {
            week = week.AddWeeks(-1);
        }

        return week;
    }
}
