using System.Globalization;
using System.Text;

namespace InPsyq.Weekly.Runs;

/// <summary>Renders a run report for a person at a terminal.</summary>
public static class RunReportText
{
    public static string Render(RunReport report)
    {
        var c = report.Counts;
        var text = new StringBuilder();
        var scope = report.Scope.TeamId is { } team ? $"team {team}" : report.Scope.OrgId is { } org ? $"org {org}" : "all orgs";
        text.AppendLine(CultureInfo.InvariantCulture, $"Weekly run {report.RunId} ({report.Trigger}) for {report.WeekLabel} (week of {report.WeekStart}), {scope}, mode {report.Mode}{(report.Force ? ", forced" : string.Empty)}{(report.DryRun ? ", dry run" : string.Empty)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Status: {report.Status.ToWire().ToUpperInvariant()} in {report.DurationMs} ms");
        text.AppendLine(CultureInfo.InvariantCulture, $"Orgs: {c.OrgsTotal} ({c.OrgsSucceeded} succeeded, {c.OrgsFailed} failed)   Teams: {c.TeamsTotal} ({c.TeamsSucceeded} succeeded, {c.TeamsSkipped} skipped, {c.TeamsFailed} failed)");
        text.AppendLine(CultureInfo.InvariantCulture, $"Aggregates: {c.AggregatesWritten} written, {c.AggregatesSkipped} skipped   Attributions: {c.AttributionsWritten} written, {c.AttributionsSkipped} skipped   Interpretations: {c.InterpretationsWritten} written, {c.InterpretationsSkipped} skipped, {c.InterpretationsFailed} failed   LLM tokens: {c.LlmTokensIn} in, {c.LlmTokensOut} out");

        if (report.Lock is { } lockStatus)
        {
            text.AppendLine(lockStatus switch
            {
                { Free: true } => "Lock: free",
                { Holder: { } holder } => $"Lock: held by run {holder.RunId} until {holder.ExpiresAt:O}",
                _ => "Lock: held by a run not yet known (it took the lock a moment ago)",
            });
        }

        if (report.Teams.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"{"Team",-28} {"Status",-12} Stages");
            foreach (var teamReport in report.Teams)
            {
                var stages = string.Join("  ", teamReport.Stages.Select(s => $"{s.Stage}={s.Status}{(s.Reason is null ? string.Empty : $" ({s.Reason})")}"));
                text.AppendLine(CultureInfo.InvariantCulture, $"{Truncate(teamReport.Name, 28),-28} {teamReport.Status,-12} {stages}");
            }
        }

        if (report.Plan is { Count: > 0 } plan)
        {
            text.AppendLine();
            text.AppendLine("Plan:");
            foreach (var entry in plan)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {entry.TeamId} {entry.Stage,-15} {entry.Action,-4} {entry.Reason}");
            }
        }

        foreach (var error in report.Errors)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Error {error.Code}{(error.TeamId is null ? string.Empty : $" (team {error.TeamId}, {error.Stage})")}: {error.Message}");
        }

        if (report.Notes.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Notes: {string.Join(", ", report.Notes)}");
        }

        return text.ToString().TrimEnd();
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
