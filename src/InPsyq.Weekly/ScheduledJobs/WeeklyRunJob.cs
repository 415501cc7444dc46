using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.ScheduledJobs;

/// <summary>
/// <c>weekly-run</c>: admits the timer's FULL run (<see cref="ScheduledWeeklyRun"/>), recorded in <c>weekly_runs</c> with
/// trigger <c>manual</c> when a person started the execution, else <c>schedule</c>, and returns within seconds: the
/// instances working the queue run it, and the run's own outcome is told by its audit row and alerts. Admitted (or
/// already ended, e.g. nothing to do) → succeeded; refused (e.g. a dependency down) → failed; locked (the week's lock,
/// or every org's) → skipped. One attempt: a rerun is a person's decision (see docs/runbooks/WEEKLY_RUN.md).
/// </summary>
public sealed class WeeklyRunJob(ScheduledWeeklyRun weeklyRun, WeeklyRunStore audit) : IJob
{
    public const string Id = "weekly-run";

    public static JobDefinition Define(IServiceProvider services, JobHandler handler) =>
        new(Id, "Weekly pipeline run", services.GetRequiredService<IOptions<WeeklyRunOptions>>().Value.Schedule, handler)
        {
            // Admission only: the bound of a request that admits a run.
            Timeout = services.GetRequiredService<IOptions<WeeklyRunOptions>>().Value.HttpDeadline,
            HasAzureTimer = true,
            CatchUp = async cancellationToken =>
                await services.GetRequiredService<WeeklyRunJob>().CatchUpWeekAsync(cancellationToken) is { } week ? $"no run exists for week {week}" : null,
        };

    /// <summary>The week of the latest schedule occurrence when no run exists for it: the standalone host's start-up catch-up.</summary>
    public async Task<IsoWeek?> CatchUpWeekAsync(CancellationToken cancellationToken) =>
        weeklyRun.CurrentTargetWeek() is { } week && !await audit.AnyRunForWeekAsync(week, cancellationToken) ? week : null;

    public async Task<JobOutcome?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var trigger = context.StartedBy == JobTrigger.Manual ? RunTrigger.Manual : RunTrigger.Schedule;
        var (week, result) = await weeklyRun.AdmitAsync(trigger, context.Caller, cancellationToken);
        if (result.Refusal is LockedRefusal locked)
        {
            // A duplicate of a run in progress (an HTTP run, another host's timer): docs/runs.md, not a failure.
            return JobOutcome.Skipped($"LOCKED: {locked.Message}", new { Refused = locked.Code, locked.RunId, HolderRunId = locked.Holder?.RunId });
        }

        if (result.Refusal is { } refusal)
        {
            return JobOutcome.Failed($"{refusal.Code}: {refusal.Message}", new { Refused = refusal.Code });
        }

        if (result.RunningRunId is { } runId)
        {
            return JobOutcome.Succeeded(new { RunId = runId, WeekStart = week.Monday, Status = "running" });
        }

        var report = result.Report!;
        var data = new { report.RunId, report.WeekStart, report.WeekLabel, report.Status, report.Counts };
        return report.Status == RunStatus.Locked
            ? JobOutcome.Skipped("LOCKED: another run holds the week's lock", data)
            : JobOutcome.Succeeded(data);
    }
}
