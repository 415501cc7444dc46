using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.WorkItems;

/// <summary>
/// Ends a run whose last item became final: its report from the recorded team results (the same report and status
/// rules as a run in one process), the audit row, the release of its leases (lease id = run id), the run metrics, and
/// the completion handlers (alerts). Called once, by the delivery whose completion made the run final.
/// </summary>
public sealed partial class WorkRunFinisher(
    WorkItemStore items,
    WeeklyRunStore runs,
    TenantDirectory tenants,
    WeeklyLockManager locks,
    IEnumerable<IRunCompletionHandler> completionHandlers,
    TimeProvider time,
    ILogger<WorkRunFinisher> logger)
{
    public async Task<RunReport> FinishAsync(Guid runId, CancellationToken cancellationToken)
    {
        var run = await runs.FindWorkAsync(runId, cancellationToken)
            ?? throw new InvalidOperationException($"Run {runId} does not exist.");
        var request = run.Request;
        var results = await items.ResultsAsync(runId, cancellationToken);
        var orgs = await OrgsOfAsync(request, results, cancellationToken);
        // Orgs held by other runs when this one was admitted: every team of theirs is recorded locked.
        var locked = orgs.Where(org => org.Org.Teams.Count > 0 && org.Org.Teams.All(team => RunOutcomes.TeamStatus(org, team) == StageStatus.Locked))
            .Select(org => org.Org.OrgId).ToHashSet();
        RunError[] runErrors = results.Any(result => result.Reason == "lock_lost")
            ? [new RunError(null, null, null, "LOCK_LOST", "The run lost the lock of an org to another run; it stopped writing there and left the org's unfinished teams not_started.")]
            : [];
        var status = RunOutcomes.Status(orgs, locked, hasRunErrors: runErrors.Length > 0);
        var finishedAt = time.GetUtcNow();
        var report = RunOutcomes.Report(
            runId, run.Trigger, request, orgs, locked, status, runErrors, await items.NotesAsync(runId, cancellationToken),
            (long)(finishedAt - run.StartedAt).TotalMilliseconds);

        await runs.FinishAsync(report, error: null, finishedAt);
        foreach (var key in LockKeysOf(request, orgs))
        {
            await locks.ReleaseAsync(key, runId, cancellationToken);
        }

        LogFinished(runId, report.Status.ToWire(), report.DurationMs);
        WeeklyTelemetry.RecordRun(report.Status.ToWire(), report.Trigger, report.Mode, report.DurationMs);
        foreach (var handler in completionHandlers)
        {
            await handler.OnRunFinishedAsync(request, report, CancellationToken.None);
        }

        return report;
    }

    /// <summary>The run's orgs with the teams it planned (today's names), each with its recorded results.</summary>
    private async Task<List<OrgProgress>> OrgsOfAsync(RunRequest request, IReadOnlyList<WorkResult> results, CancellationToken cancellationToken)
    {
        var scope = await tenants.LoadScopeAsync(request.OrgId, request.TeamId, cancellationToken);
        var orgs = new List<OrgProgress>();
        foreach (var org in scope)
        {
            var planned = results.Where(result => result.OrgId == org.OrgId).Select(result => result.TeamId).ToHashSet();
            var progress = new OrgProgress(org with { Teams = [.. org.Teams.Where(team => planned.Contains(team.TeamId))] });
            foreach (var result in results.Where(result => result.OrgId == org.OrgId))
            {
                if (progress.Org.Teams.FirstOrDefault(team => team.TeamId == result.TeamId) is { } team)
                {
                    progress.Record(team, new TeamStageResult(result.Stage, result.ToOutcome(), result.DurationMs));
                }
            }

            orgs.Add(progress);
        }

        return orgs;
    }

    private static IEnumerable<LockKey> LockKeysOf(RunRequest request, IEnumerable<OrgProgress> orgs) =>
        request.IsWholeWeek
            ? orgs.Select(org => LockKey.ForOrg(request.Week, org.Org.OrgId)).Append(LockKey.WholeWeek(request.Week))
            : [LockKey.ForOrg(request.Week, request.OrgId!.Value)];

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} finished {Status} in {DurationMs} ms")]
    private partial void LogFinished(Guid runId, string status, long durationMs);
}
