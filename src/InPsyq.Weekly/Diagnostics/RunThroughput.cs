namespace InPsyq.Weekly.Diagnostics;

/// <summary>How fast a run gets through its teams: teams final per minute since it started (until it ended, or now).</summary>
public static class RunThroughput
{
    /// <summary>Teams final per minute, to two decimals; null before any time has passed.</summary>
    public static double? TeamsPerMinute(int teamsFinal, DateTimeOffset startedAt, DateTimeOffset? finishedAt, DateTimeOffset now)
    {
        var minutes = ((finishedAt ?? now) - startedAt).TotalMinutes;
        return minutes > 0 ? Math.Round(teamsFinal / minutes, 2) : null;
    }

    /// <summary>The same for a row of the run history (<c>started_at</c>, <c>finished_at</c> as read from <c>weekly_runs</c>).</summary>
    public static double? TeamsPerMinute(int teamsFinal, Dictionary<string, object?> run, DateTimeOffset now) =>
        TeamsPerMinute(teamsFinal, Utc(run["started_at"])!.Value, Utc(run.GetValueOrDefault("finished_at")), now);

    private static DateTimeOffset? Utc(object? value) =>
        value is DateTime time ? new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)) : null;
}
