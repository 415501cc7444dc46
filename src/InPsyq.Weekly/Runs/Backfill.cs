using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Runs;

/// <summary>
/// Runs a range of weeks oldest → newest, one run per week (own lock, own audit row), so a series is rebuilt in the
/// order its weeks depend on each other. Stops early only when a week is refused for a reason that will not change
/// by going on (invalid input or a dependency outage).
/// </summary>
public sealed class Backfill(WeeklyRunner runner)
{
    /// <summary>Every week from <paramref name="from"/> to <paramref name="to"/> inclusive, oldest first.</summary>
    public static IReadOnlyList<IsoWeek> Between(IsoWeek from, IsoWeek to) =>
        [.. Enumerable.Range(0, Math.Max(0, to.WeeksSince(from) + 1)).Select(from.AddWeeks)];

    public async Task<IReadOnlyList<RunResult>> RunAsync(
        IReadOnlyList<IsoWeek> weeks, RunRequest template, RunTrigger trigger, IProgress<(int Done, int Total, RunResult Last)>? progress, CancellationToken cancellationToken)
    {
        var results = new List<RunResult>();
        foreach (var week in weeks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await runner.RunAsync(template with { Week = week }, trigger, cancellationToken);
            results.Add(result);
            progress?.Report((results.Count, weeks.Count, result));
            if (result.Refusal is { Kind: not RefusalKind.Conflict })
            {
                break;
            }
        }

        return results;
    }
}
