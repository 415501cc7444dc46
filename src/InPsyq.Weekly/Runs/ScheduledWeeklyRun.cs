using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Runs;

/// <summary>
/// The weekly-run job's run: FULL for the last completed week before the latest schedule occurrence, recorded with
/// the trigger of the job execution (<see cref="RunTrigger.Schedule"/> or <see cref="RunTrigger.Manual"/>). A
/// past-due firing after downtime runs once, for the latest occurrence, whatever it missed before.
/// </summary>
public sealed class ScheduledWeeklyRun(WeeklyRunner runner, IOptions<WeeklyRunOptions> options, TimeProvider time)
{
    public WeeklySchedule Schedule { get; } = WeeklySchedule.Parse(options.Value.Schedule);

    /// <summary>The week the timer targets now, or null when the schedule never fired in the last year.</summary>
    public IsoWeek? CurrentTargetWeek() =>
        Schedule.LatestOccurrenceAtOrBefore(time.GetUtcNow()) is { } occurrence ? WeeklySchedule.TargetWeekFor(occurrence) : null;

    /// <summary>Admits the run for the week it targets now and returns: the instances working the queue run it (<see cref="RunResult.Running"/>).</summary>
    public async Task<(IsoWeek Week, RunResult Result)> AdmitAsync(RunTrigger trigger, CallerIdentity? caller, CancellationToken cancellationToken)
    {
        var week = CurrentTargetWeek() ?? WeeklySchedule.TargetWeekFor(time.GetUtcNow());
        var request = new RunRequest(week, null, null, RunMode.Full, DryRun: false, Force: false) { Caller = caller };
        return (week, await runner.RunAsync(request, trigger, cancellationToken, waitAtMost: TimeSpan.Zero));
    }
}
