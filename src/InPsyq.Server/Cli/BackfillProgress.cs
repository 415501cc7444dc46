using InPsyq.Weekly.Runs;

namespace InPsyq.Server.Cli;

/// <summary>A backfill's progress on the console: one line per finished week, with its outcome.</summary>
internal sealed class BackfillProgress(BatchProgress batch) : IProgress<(int Done, int Total, RunResult Last)>
{
    public void Report((int Done, int Total, RunResult Last) value) => batch.Report(value.Done, Describe(value.Last));

    internal static string Describe(RunResult result) => result.Report is { } report
        ? $"{report.WeekLabel} {report.Status.ToWire()} ({report.Counts.TeamsSucceeded} succeeded, {report.Counts.TeamsSkipped} skipped, {report.Counts.TeamsFailed} failed) in {report.DurationMs} ms"
        : $"{result.Refusal!.Code}: {result.Refusal.Message}";
}
