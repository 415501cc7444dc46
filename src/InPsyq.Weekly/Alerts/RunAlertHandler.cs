using System.Globalization;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Runs;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Alerts;

/// <summary>
/// Turns finished runs into alerts: <c>run_failed</c>; <c>run_partial</c> when a team failed or timed out or the
/// run itself hit an error (e.g. <c>LOCK_LOST</c>), not for teams only <c>locked</c> or <c>not_started</c>.
/// A completed run resolves the run incidents of its scope (all scopes for <c>all</c>); a run that makes the week
/// count as run (unscoped FULL, completed or partial) also resolves its <c>week_missed</c> incident.
/// </summary>
internal sealed partial class RunAlertHandler(AlertService alerts, ILogger<RunAlertHandler> logger) : IRunCompletionHandler
{
    private static readonly string[] s_failureStatuses = [StageStatus.Failed.ToWire(), StageStatus.TimedOut.ToWire()];

    public async Task OnRunFinishedAsync(RunRequest request, RunReport report, CancellationToken cancellationToken)
    {
        try
        {
            var sends = new List<InlineSend>();
            var failingTeams = FailingTeams(report);
            if (AlertKindOf(report, failingTeams) is { } kind)
            {
                sends.AddRange((await alerts.OpenAsync(Describe(kind, request, report, failingTeams), cancellationToken)).Sends);
            }

            var resolves = ResolvedGroups(request, report);
            if (resolves.Count > 0)
            {
                sends.AddRange(await alerts.ResolveAsync(
                    resolves, request.Scope, request.Week, report.RunId, incident => Recovery(incident, request, report), cancellationToken));
            }

            await alerts.SendInlineAsync(sends, cancellationToken);
        }
        catch (Exception e)
        {
            // Alerting must never fail or hold up a run; the audit row already has the outcome.
            LogAlertingFailed(e, report.RunId);
        }
    }

    private static AlertKind? AlertKindOf(RunReport report, List<FailingTeam> failingTeams) => report.Status switch
    {
        RunStatus.Failed => AlertKind.RunFailed,
        RunStatus.Partial when failingTeams.Count > 0 || report.Errors.Any(error => error.Stage is null) => AlertKind.RunPartial,
        _ => null,
    };

    private static List<string> ResolvedGroups(RunRequest request, RunReport report)
    {
        var groups = new List<string>();
        if (report.Status == RunStatus.Completed)
        {
            groups.Add(AlertKinds.RunProblemGroup);
        }

        if (WeekCoverage.Counts(request, report.Status))
        {
            groups.Add(AlertKinds.WeekMissedGroup);
        }

        return groups;
    }

    private static List<FailingTeam> FailingTeams(RunReport report) =>
    [
        .. report.Teams
            .Where(team => s_failureStatuses.Contains(team.Status))
            .Select(team =>
            {
                var stage = team.Stages.First(stage => s_failureStatuses.Contains(stage.Status));
                var code = report.Errors.FirstOrDefault(error => error.TeamId == team.TeamId && error.Stage == stage.Stage)?.Code;
                return new FailingTeam(team.OrgId, team.TeamId, stage.Stage, stage.Status, code);
            }),
    ];

    private static AlertMessage Describe(AlertKind kind, RunRequest request, RunReport report, List<FailingTeam> failingTeams)
    {
        var outcome = kind == AlertKind.RunFailed ? "failed" : "ended partial";
        var runErrors = report.Errors.Where(error => error.Stage is null).Select(error => error.Code).Distinct().ToList();
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"Run {report.RunId} ({report.Mode}, {report.Trigger}) {outcome}: {failingTeams.Count} of {report.Counts.TeamsTotal} teams failed or timed out.");
        if (runErrors.Count > 0)
        {
            summary += $" Run errors: {string.Join(", ", runErrors)}.";
        }

        return FromReport(kind, request.Scope, request, report, summary) with { FailingTeams = failingTeams };
    }

    private static AlertMessage Recovery(Incident incident, RunRequest request, RunReport report)
    {
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"Run {report.RunId} ({report.Mode}, scope {request.Scope}) ended {StatusText(report.Status)}; the {incident.Kind.ToWire()} incident opened {incident.OpenedAt:yyyy-MM-dd HH:mm} UTC is resolved.");
        return FromReport(AlertKind.Recovery, incident.Key.Scope, request, report, summary);
    }

    private static AlertMessage FromReport(AlertKind kind, string scope, RunRequest request, RunReport report, string summary) =>
        new(kind, scope, request.Week, report.RunId, summary)
        {
            Mode = report.Mode,
            Trigger = report.Trigger,
            Status = StatusText(report.Status),
            Counts = report.Counts,
            Errors = [.. report.Errors.Select(error => new AlertError(error.OrgId, error.TeamId, error.Stage, error.Code))],
        };

    private static string StatusText(RunStatus status) => status.ToString().ToLowerInvariant();

    [LoggerMessage(Level = LogLevel.Error, Message = "Alerting for run {RunId} failed; the run's outcome is unaffected")]
    private partial void LogAlertingFailed(Exception exception, Guid runId);
}
