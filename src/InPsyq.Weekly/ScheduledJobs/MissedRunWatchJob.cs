using InPsyq.Weekly.Alerts;
using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.ScheduledJobs;

/// <summary>A week whose deadline passed without a run that counts (see <see cref="WeekCoverage"/>).</summary>
public sealed record MissedWeek(DateOnly WeekStart, string WeekLabel, DateTimeOffset Deadline);

/// <summary>What <c>missed-run-watch</c> found: the missed weeks, oldest first, out of the weeks it checked.</summary>
public sealed record MissedRunFindings(IReadOnlyList<MissedWeek> MissedWeeks, int CheckedWeeks, string LatestDueWeek);

/// <summary>
/// <c>missed-run-watch</c>: the weeks of the last <see cref="LookBackWeeks"/> whose deadline passed without a run
/// that counts. Weeks whose deadline fell before the first recorded run are not missed (the pipeline was not
/// installed yet), so with no run at all nothing is reported; the <c>weekly_run</c> health check says "no run yet".
/// Raises a <c>week_missed</c> alert per missed week (deduplicated durably, so once per week).
/// </summary>
public sealed class MissedRunWatchJob(
    WeeklyRunStore runs, AlertService alerts, IOptions<WeeklyRunOptions> options, TimeProvider time) : IJob
{
    public const string Id = "missed-run-watch";

    public const int LookBackWeeks = 8;

    public static JobDefinition Define(IServiceProvider services, JobHandler handler) =>
        new(Id, "Missed run watch", services.GetRequiredService<IOptions<JobsOptions>>().Value.MissedRunWatchSchedule, handler)
        {
            Timeout = TimeSpan.FromMinutes(1),
            Retry = new RetryPolicy(3, TimeSpan.FromSeconds(5), 2, TimeSpan.FromSeconds(30)),
            HasAzureTimer = true,
        };

    public async Task<JobOutcome?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var deadline = options.Value.Deadline;
        var latest = WeekCoverage.LatestWeekPastDeadline(time.GetUtcNow(), deadline);
        var firstRunAt = await runs.FirstStartedAtAsync(cancellationToken);
        var candidates = Enumerable.Range(0, LookBackWeeks)
            .Select(back => latest.AddWeeks(-back))
            .Where(week => firstRunAt is { } installed && WeekCoverage.DeadlineOf(week, deadline) > installed)
            .ToList();

        var run = await runs.CountedWeeksAsync(candidates.Select(week => week.Monday), cancellationToken);
        var missed = candidates
            .Where(week => !run.Contains(week.Monday))
            .OrderBy(week => week)
            .Select(week => new MissedWeek(week.Monday, week.Label, WeekCoverage.DeadlineOf(week, deadline)))
            .ToList();

        // Found again every hour until it is run: the durable dedup keeps it to one alert per week.
        foreach (var week in missed)
        {
            await alerts.RaiseAsync(AlertKind.WeekMissed, "all", IsoWeek.FromMonday(week.WeekStart), null,
                $"No completed or partial FULL run exists for {week.WeekLabel} and its deadline has passed. Run it (see WEEKLY_RUN.md).", cancellationToken);
        }

        return JobOutcome.Succeeded(
            new MissedRunFindings(missed, candidates.Count, latest.ToString()),
            new Dictionary<string, double> { ["missed_weeks"] = missed.Count, ["checked_weeks"] = candidates.Count });
    }
}
