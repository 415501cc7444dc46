using InPsyq.Weekly.Runs;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary>The weekly run on the Functions timer (<c>WEEKLY_SCHEDULE</c>, NCRONTAB, UTC).</summary>
public sealed class WeeklyRun(ScheduledWeeklyRun weeklyRun)
{
    [Function(nameof(WeeklyRun))]
    public Task Run([TimerTrigger("%WEEKLY_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) =>
        weeklyRun.RunAsync(cancellationToken);
}
