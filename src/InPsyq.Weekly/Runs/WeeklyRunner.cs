using System.Diagnostics;
using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Telemetry;
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
    WeeklyRunStore audit,
    RunExecutionFactory executions,
    IEnumerable<IRunCompletionHandler> completionHandlers,
    TimeProvider time,
    HostIdentity host,
    IOptions<WeeklyRunOptions> runOptions,
    IOptions<LockOptions> lockOptions,
    ILogger<WeeklyRunner> logger)
{
    private static readonly TimeSpan s_dependencyRetryAfter = TimeSpan.FromSeconds(30);

    public async Task<RunResult> RunAsync(RunRequest request, RunTrigger trigger, CancellationToken cancellationToken)
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

        using var activity = WeeklyTelemetry.Source.StartActivity("weekly.run");
        activity?.SetTag("run_id", runId).SetTag("week_start", request.Week.ToString()).SetTag("scope", request.Scope)
            .SetTag("mode", request.Mode.ToWire()).SetTag("trigger", trigger.ToWire()).SetTag("dry_run", request.DryRun);
        using var execution = executions.Create(runId, request, trigger);
        return request.DryRun ? RunResult.Of(await execution.PlanAsync(cancellationToken)) : await ExecuteAsync(execution, cancellationToken);
    }

    private async Task<RunResult> ExecuteAsync(RunExecution execution, CancellationToken cancellationToken)
    {
        var request = execution.Request;
        var startedAt = time.GetUtcNow();
        try
        {
            await audit.StartAsync(new RunStart(execution.RunId, execution.Trigger, request, startedAt, host.Name), cancellationToken);
        }
        catch (NpgsqlException)
        {
            return RunResult.Refused(Unavailable(Dependency.Postgres));
        }

        var holder = new LockHolder(
            execution.RunId, execution.Trigger.ToWire(), request.Mode.ToWire(), request.Scope, startedAt, startedAt + lockOptions.Value.Ttl, host.Name);
        var firstLock = request.IsWholeWeek ? LockKey.WholeWeek(request.Week) : LockKey.ForOrg(request.Week, request.OrgId!.Value);

        RunReport? report = null;
        string? runError = null;
        try
        {
            var attempt = await locks.TryAcquireAsync(firstLock, holder, cancellationToken);
            if (!attempt.Acquired)
            {
                report = execution.LockedReport();
                LogLocked(firstLock.BlobName, attempt.Holder?.RunId);
                return RunResult.Refused(Locked(execution.RunId, attempt.Holder, startedAt));
            }

            await using (attempt.Lock)
            {
                // Only the run endpoint answers within an HTTP request's limit; a manual run of the weekly-run job (also
                // through the admin job endpoint) has the job's budget, like a scheduled one.
                var deadline = execution.Trigger == RunTrigger.Http ? runOptions.Value.HttpDeadline : runOptions.Value.RunDeadline;
                report = await execution.RunAsync(attempt.Lock!, holder, deadline, cancellationToken);
            }

            LogFinished(report.Status.ToString(), report.DurationMs);
            return RunResult.Of(report);
        }
        catch (Exception e)
        {
            runError = RunError(e);
            LogRunFailed(e, runError);
            report = execution.FailedReport(runError);
            return RunResult.Of(report);
        }
        finally
        {
            report ??= execution.FailedReport("The run ended without a report.");
            await audit.FinishAsync(report, runError, time.GetUtcNow());
            RecordTelemetry(report);
            foreach (var handler in completionHandlers)
            {
                await handler.OnRunFinishedAsync(request, report, CancellationToken.None);
            }
        }
    }

    private static void RecordTelemetry(RunReport report)
    {
        var status = report.Status.ToWire();
        WeeklyTelemetry.RecordRun(status, report.Trigger, report.Mode, report.DurationMs);
        Activity.Current?.SetTag("status", status);
        if (report.Status == RunStatus.Failed)
        {
            Activity.Current?.SetStatus(ActivityStatusCode.Error);
        }
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
