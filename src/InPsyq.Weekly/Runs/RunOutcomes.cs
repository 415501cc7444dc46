using InPsyq.Weekly.Pipeline;

namespace InPsyq.Weekly.Runs;

/// <summary>
/// How the per-team stage results of a run add up: a team's status is the worst of its stages, the run's status
/// follows the rules of docs/runs.md "Results", and the report counts, lists and orders everything the same way every time.
/// </summary>
internal static class RunOutcomes
{
    private const int MaxErrors = 20;

    public static StageStatus TeamStatus(OrgProgress org, TeamRef team)
    {
        var results = org.ResultsOf(team.TeamId);
        return results.Count == 0 ? StageStatus.NotStarted : results.Select(result => result.Outcome.Status).MaxBy(status => status.Severity());
    }

    /// <summary>
    /// No teams → completed; every org locked → locked; every processed team failed or timed out → failed; every team
    /// succeeded or skipped and no run-level error → completed; anything else → partial.
    /// </summary>
    public static RunStatus Status(IReadOnlyList<OrgProgress> orgs, IReadOnlySet<Guid> locked, bool hasRunErrors)
    {
        var teams = orgs.SelectMany(org => org.Org.Teams.Select(team => TeamStatus(org, team))).ToList();
        if (teams.Count == 0)
        {
            return hasRunErrors ? RunStatus.Partial : RunStatus.Completed;
        }

        if (locked.Count == orgs.Count)
        {
            return RunStatus.Locked;
        }

        var processed = teams.Where(status => status is not (StageStatus.NotStarted or StageStatus.Locked)).ToList();
        if (processed.Count > 0 && processed.All(status => status.IsFailure()))
        {
            return RunStatus.Failed;
        }

        return teams.All(status => status.IsDone()) && !hasRunErrors ? RunStatus.Completed : RunStatus.Partial;
    }

    public static RunReport Report(
        Guid runId,
        RunTrigger trigger,
        RunRequest request,
        IReadOnlyList<OrgProgress> orgs,
        IReadOnlySet<Guid> locked,
        RunStatus status,
        IEnumerable<RunError> runErrors,
        IEnumerable<string> notes,
        long durationMs)
    {
        var teamReports = new List<TeamReport>();
        var teamErrors = new List<RunError>();
        var counts = new RunCountsBuilder();
        foreach (var org in orgs)
        {
            var orgFailed = false;
            var orgDone = !locked.Contains(org.Org.OrgId);
            foreach (var team in org.Org.Teams)
            {
                var results = org.ResultsOf(team.TeamId);
                var teamStatus = TeamStatus(org, team);
                counts.AddTeam(teamStatus, results);
                orgFailed |= teamStatus.IsFailure();
                orgDone &= teamStatus.IsDone();
                teamErrors.AddRange(results
                    .Where(result => result.Outcome.ErrorCode is not null)
                    .Select(result => new RunError(org.Org.OrgId, team.TeamId, result.Stage.ToWire(), result.Outcome.ErrorCode!, result.Outcome.ErrorMessage ?? result.Outcome.ErrorCode!)));
                teamReports.Add(new TeamReport(org.Org.OrgId, team.TeamId, team.Name, teamStatus.ToWire(), [.. results.Select(ToStageReport)]));
            }

            counts.AddOrg(orgFailed, orgDone && !orgFailed);
        }

        return new RunReport
        {
            RunId = runId,
            Trigger = trigger.ToWire(),
            WeekStart = request.Week.ToString(),
            WeekLabel = request.Week.Label,
            Scope = new RunScopeReport(request.OrgId, request.TeamId),
            Mode = request.Mode.ToWire(),
            DryRun = request.DryRun,
            Force = request.Force,
            Status = status,
            DurationMs = durationMs,
            Counts = counts.Build(orgs.Count),
            Errors = [.. runErrors.Concat(teamErrors).Take(MaxErrors)],
            Notes = [.. notes.Order(StringComparer.Ordinal)],
            Teams = teamReports,
        };
    }

    private static StageReport ToStageReport(TeamStageResult result) =>
        new(result.Stage.ToWire(), result.Outcome.Status.ToWire(), result.Outcome.Reason, result.DurationMs, result.Outcome.ErrorCode);
}
