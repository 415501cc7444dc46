using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Runs;

namespace InPsyq.Server.Scheduling;

/// <summary>
/// The standalone host's timer for the weekly run: fires at each occurrence of <c>WEEKLY_SCHEDULE</c> (the next
/// run is computed from the schedule, not from when the last one finished), and on start fires the one catch-up
/// run for the latest occurrence when no run exists for its week.
/// </summary>
internal sealed partial class WeeklyScheduler(
    ScheduledWeeklyRun weeklyRun,
    WeeklyRunAudit audit,
    TimeProvider time,
    ILogger<WeeklyScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (weeklyRun.CurrentTargetWeek() is { } missedWeek && !await audit.AnyRunForWeekAsync(missedWeek, stoppingToken))
        {
            LogCatchUp(missedWeek.ToString());
            await FireAsync(stoppingToken);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var next = weeklyRun.Schedule.NextOccurrenceAfter(time.GetUtcNow());
            LogNext(next);
            await Task.Delay(Max(next - time.GetUtcNow(), TimeSpan.Zero), time, stoppingToken);
            await FireAsync(stoppingToken);
        }
    }

    private async Task FireAsync(CancellationToken stoppingToken)
    {
        try
        {
            var result = await weeklyRun.RunAsync(stoppingToken);
            LogFired(result.Report?.Status.ToString() ?? result.Refusal!.Code);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(e);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Information, Message = "weekly-run: no run exists for week {WeekStart}; firing the catch-up run")]
    private partial void LogCatchUp(string weekStart);

    [LoggerMessage(Level = LogLevel.Information, Message = "weekly-run: next run at {NextRun:O}")]
    private partial void LogNext(DateTimeOffset nextRun);

    [LoggerMessage(Level = LogLevel.Information, Message = "weekly-run: finished {Outcome}")]
    private partial void LogFired(string outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "weekly-run: the scheduled run failed")]
    private partial void LogFailed(Exception exception);
}
