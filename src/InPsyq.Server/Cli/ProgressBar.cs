using InPsyq.Weekly.Runs;

namespace InPsyq.Server.Cli;

/// <summary>One line per finished week of a backfill, with a bar of how far it has got.</summary>
internal static class ProgressBar
{
    private const int Width = 24;

    public static void Print((int Done, int Total, RunResult Last) progress)
    {
        var filled = progress.Done * Width / Math.Max(1, progress.Total);
        var outcome = progress.Last.Report is { } report
            ? $"{report.WeekLabel} {report.Status.ToWire()} ({report.Counts.TeamsSucceeded} succeeded, {report.Counts.TeamsSkipped} skipped, {report.Counts.TeamsFailed} failed) in {report.DurationMs} ms"
            : $"{progress.Last.Refusal!.Code}: {progress.Last.Refusal.Message}";
        Console.WriteLine($"[{new string('#', filled)}{new string('.', Width - filled)}] {progress.Done}/{progress.Total} {outcome}");
    }
}
