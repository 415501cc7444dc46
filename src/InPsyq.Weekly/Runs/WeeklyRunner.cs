using System.Diagnostics;
using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Telemetry;
using InPsyq.Weekly.WorkItems;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InPsyq.Weekly.Runs;

/// <summary>
/// The one entry point of a weekly run, shared by the timer, the HTTP endpoint and the CLI: admits the request
/// against the tenant and the dependencies, then plans it (dry run) or runs it under the weekly lock with an audit row.
/// </summary>
public sealed partial class WeeklyRunner(
    TenantDirectory tenants,
    DependencyProbe probe,
    WeeklyLockManager locks,
    LockFences fences,
    WeeklyRunStore audit,
    RunExecutionFactory executions,
    WorkItemStore workItems,
    WorkItemProcessor processor,
    WorkQueueWorker worker,
    RunHeartbeat heartbeat,
    IEnumerable<IRunCompletionHandler> completionHandlers,
    TimeProvider time,
    HostIdentity host,
    IOptions<WeeklyRunOptions> runOptions,
    IOptions<LockOptions> lockOptions,
    IOptions<WorkOptions> workOptions,
    ILogger<WeeklyRunner> logger)
{
    private static readonly TimeSpan s_dependencyRetryAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_reportPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Admits <paramref name="request"/> and, by default, works the queue with the other instances until the run is
    /// final and answers its report, telling <paramref name="progress"/> how far the run is whenever a worker of this
    /// process is idle or has finished an item. With <paramref name="waitAtMost"/>, this process only waits that long
    /// for the report (zero: not at all) and answers <see cref="RunResult.Running"/> when the run goes on.
    /// </summary>
    public async Task<RunResult> RunAsync(
        RunRequest request, RunTrigger trigger, CancellationToken cancellationToken, TimeSpan? waitAtMost = null, IProgress<WorkProgress>? progress = null)
    {
        var refusal = await AdmitAsync(request, cancellationToken);
        if (refusal is not null)
        {
            LogRefused(request.Week.ToString(), request.Scope, refusal.Code);
            return RunResult.Refused(refusal);
        }

        var runId = Guid.CreateVersion7(time.GetUtcNow());
        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["RunId"] = runId,
            ["WeekStart"] = request.Week.ToString(),
            ["Scope"] = request.Scope,
        });

        using var activity = WeeklyTelemetry.Source.StartActivity(WeeklyTelemetry.RunSpan);
        activity?.SetTag(WeeklyTelemetry.RunIdAttribute, runId).SetTag(WeeklyTelemetry.WeekAttribute, request.Week.ToString())
            .SetTag(WeeklyTelemetry.ScopeAttribute, request.Scope).SetTag(WeeklyTelemetry.ModeAttribute, request.Mode.ToWire())
            .SetTag(WeeklyTelemetry.TriggerAttribute, trigger.ToWire()).SetTag("inpsyq.dry_run", request.DryRun);
        var execution = executions.Create(runId, request, trigger);
        var result = request.DryRun ? RunResult.Of(await execution.PlanAsync(cancellationToken)) : await ExecuteAsync(execution, waitAtMost, progress, cancellationToken);
        TagOutcome(activity, result);
        return result;
    }

    /// <summary>The root span's outcome: the run's status, <c>running</c> when this process stopped waiting, or the refusal's code.</summary>
    private static void TagOutcome(Activity? activity, RunResult result)
    {
        var outcome = result.Report?.Status.ToWire() ?? result.Refusal?.Code ?? RunStatus.Running.ToWire();
        activity?.SetTag(WeeklyTelemetry.OutcomeAttribute, outcome);
        if (result.Report?.Status == RunStatus.Failed)
        {
            activity?.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>
    /// A non-dry run: the audit row (with its deadline), the run's locks as leases with the run id as lease id (the
    /// first lock, then every org of a whole-week run in org_id order; an org held by another run is locked), the org
    /// fences, and the first stage's work items, whose messages go to the queue. This process then works the queue
    /// (other instances help) until the run is final, and answers its final report.
    /// </summary>
    private async Task<RunResult> ExecuteAsync(RunExecution execution, TimeSpan? waitAtMost, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var request = execution.Request;
        var startedAt = time.GetUtcNow();
        try
        {
            await audit.StartAsync(
                new RunStart(execution.RunId, execution.Trigger, request, startedAt, host.Name, runOptions.Value.RunDeadline, RunTrace.Current), cancellationToken);
        }
        catch (NpgsqlException)
        {
            return RunResult.Refused(Unavailable(Dependency.Postgres));
        }

        var holder = new LockHolder(
            execution.RunId, execution.Trigger.ToWire(), request.Mode.ToWire(), request.Scope, startedAt, startedAt + lockOptions.Value.Ttl, host.Name);
        var firstLock = request.IsWholeWeek ? LockKey.WholeWeek(request.Week) : LockKey.ForOrg(request.Week, request.OrgId!.Value);
        try
        {
            if (await locks.TryAcquireAsync(firstLock, holder, cancellationToken) is { Acquired: false } held)
            {
                await EndBeforeWorkAsync(request, execution.LockedReport(), null);
                LogLocked(firstLock.BlobName, held.Holder?.RunId);
                return RunResult.Refused(Locked(execution.RunId, held.Holder, startedAt));
            }

            await PlanAsync(execution, holder, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var runError = RunError(e);
            LogRunFailed(e, runError);
            var failed = execution.FailedReport(runError);
            await locks.ReleaseAsync(firstLock, execution.RunId, CancellationToken.None);
            await EndBeforeWorkAsync(request, failed, runError);
            return RunResult.Of(failed);
        }

        RunReport? report;
        await using (heartbeat.Start(execution.RunId, cancellationToken))
        {
            report = waitAtMost is { } wait
                ? await WaitForReportAsync(execution.RunId, wait, cancellationToken)
                : await WorkUntilFinalAsync(execution.RunId, progress, cancellationToken);
        }

        if (report is null)
        {
            return RunResult.Running(execution.RunId);
        }

        LogFinished(report.Status.ToString(), report.DurationMs);
        return RunResult.Of(report);
    }

    private async Task<RunReport> WorkUntilFinalAsync(Guid runId, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        await worker.WorkAsync(async token =>
        {
            if (progress is not null)
            {
                progress.Report(await workItems.ProgressAsync(runId, token));
            }

            return await audit.ReportAsync(runId, token) is not null;
        }, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        return (await audit.ReportAsync(runId, cancellationToken))!;
    }

    /// <summary>The run's report once it is final, or null when it is not within <paramref name="wait"/> (the other instances work it).</summary>
    private async Task<RunReport?> WaitForReportAsync(Guid runId, TimeSpan wait, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + wait;
        using var polling = WeeklyTelemetry.Untraced();
        while (true)
        {
            if (await audit.ReportAsync(runId, cancellationToken) is { } report)
            {
                return report;
            }

            if (time.GetUtcNow() >= until)
            {
                return null;
            }

            await Task.Delay(s_reportPoll, time, cancellationToken);
        }
    }

    /// <summary>A run that ended before any item (locked, or failed while admitted): its audit row, metrics and completion handlers.</summary>
    private async Task EndBeforeWorkAsync(RunRequest request, RunReport report, string? error)
    {
        await audit.FinishAsync(report, error, time.GetUtcNow());
        WeeklyTelemetry.RecordRun(report.Status.ToWire(), report.Trigger, report.Mode, report.DurationMs);
        foreach (var handler in completionHandlers)
        {
            await handler.OnRunFinishedAsync(request, report, CancellationToken.None);
        }
    }

    /// <summary>
    /// Takes the orgs' locks and fences and creates the first stage's items; an org held by another run is deferred
    /// (retried once every other item is final); a run with nothing to work ends here.
    /// </summary>
    private async Task PlanAsync(RunExecution execution, LockHolder holder, CancellationToken cancellationToken)
    {
        var request = execution.Request;
        var planned = new List<PlannedOrg>();
        var deferred = new List<PlannedOrg>();
        foreach (var org in await tenants.LoadScopeAsync(request.OrgId, request.TeamId, cancellationToken))
        {
            var plannedOrg = new PlannedOrg(org.OrgId, [.. org.Teams.Select(team => team.TeamId)]);
            if (request.IsWholeWeek && !(await locks.TryAcquireAsync(LockKey.ForOrg(request.Week, org.OrgId), holder, cancellationToken)).Acquired)
            {
                deferred.Add(plannedOrg);
                continue;
            }

            await fences.TakeAsync(request.Week, org.OrgId, execution.RunId, cancellationToken);
            planned.Add(plannedOrg);
        }

        var stages = StageStatuses.StagesOf(request.Mode);
        var planning = await workItems.PlanAsync(execution.RunId, stages[0], stages[^1], planned, deferred, workOptions.Value.ItemTeams, cancellationToken);
        // The current span is the run's root: every item's message carries it.
        await processor.ContinueAsync(execution.RunId, planning, RunTrace.Current, cancellationToken);
    }

    private async Task<Refusal?> AdmitAsync(RunRequest request, CancellationToken cancellationToken)
    {
        try
        {
            if (request.OrgId is { } orgId && !await tenants.OrgExistsAsync(orgId, cancellationToken))
            {
                return new Refusal(RefusalKind.NotFound, "ORG_NOT_FOUND", $"No organisation with org_id {orgId}.", "org_id");
            }

            if (request.TeamId is { } teamId)
            {
                var team = await tenants.FindTeamAsync(teamId, cancellationToken);
                if (team is null || team.Value.OrgId != request.OrgId)
                {
                    return new Refusal(RefusalKind.NotFound, "TEAM_NOT_FOUND", $"No team with team_id {teamId} in organisation {request.OrgId}.", "team_id");
                }

                if (team.Value.Archived)
                {
                    return new Refusal(RefusalKind.Conflict, "TEAM_ARCHIVED", $"Team {teamId} is archived; archived teams are not processed.", "team_id");
                }
            }

            if (request.Mode == RunMode.InterpretationOnly
                && !await tenants.HasPipelineOutputAsync(request.Week, request.OrgId, request.TeamId, cancellationToken))
            {
                return new Refusal(RefusalKind.Conflict, "PIPELINE_OUTPUT_MISSING",
                    $"No team in scope has stage-2 output for week {request.Week}; run PIPELINE_ONLY or FULL for that week first.", "mode");
            }
        }
        catch (NpgsqlException)
        {
            return Unavailable(Dependency.Postgres);
        }

        return await probe.FindUnavailableAsync(cancellationToken) is { } unavailable ? Unavailable(unavailable) : null;
    }

    private static Refusal Unavailable(Dependency dependency) =>
        new(RefusalKind.Unavailable, "DEPENDENCY_UNAVAILABLE", $"The run did not start: {DependencyProbe.NameOf(dependency)} is unavailable. Nothing was written; retry later.")
        {
            RetryAfter = s_dependencyRetryAfter,
        };

    /// <summary>A null holder is not yet known (it took the lock a moment ago): the body then has no <c>holder</c>.</summary>
    private LockedRefusal Locked(Guid runId, LockHolder? holder, DateTimeOffset now)
    {
        var untilExpiry = holder is null ? lockOptions.Value.LeaseSeconds : (int)Math.Ceiling((holder.ExpiresAt - now).TotalSeconds);
        var message = holder is null
            ? "Another run holds the lock for this week and scope; it took the lock a moment ago and is not yet known."
            : $"Another run ({holder.RunId}, {holder.Mode}, {holder.Scope}) holds the lock for this week and scope.";
        return new LockedRefusal(runId, holder, message)
        {
            RetryAfter = TimeSpan.FromSeconds(Math.Max(1, Math.Min(lockOptions.Value.LeaseSeconds, untilExpiry))),
        };
    }

    private static string RunError(Exception e) =>
        DependencyProbe.FailedDependencyOf(e) is { } dependency
            ? $"{DependencyProbe.NameOf(dependency)} became unavailable during the run."
            : "The run failed with an unexpected error; see the logs for this run id.";

    [LoggerMessage(Level = LogLevel.Information, Message = "Run request for week {WeekStart} ({Scope}) refused: {Code}")]
    private partial void LogRefused(string weekStart, string scope, string code);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lock {LockName} is held by run {HolderRunId}; this attempt is recorded as locked")]
    private partial void LogLocked(string lockName, Guid? holderRunId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run finished {Status} in {DurationMs} ms")]
    private partial void LogFinished(string status, long durationMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run failed: {Error}")]
    private partial void LogRunFailed(Exception exception, string error);
}
