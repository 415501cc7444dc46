namespace InPsyq.Weekly.Runs;

/// <summary>
/// Told about every audited run once its audit row is finished (completed, partial, failed or locked; never dry
/// runs or refused requests). Alerts and telemetry hang here. A handler must not throw and must bound its own time:
/// it runs before the caller gets the report.
/// </summary>
public interface IRunCompletionHandler
{
    Task OnRunFinishedAsync(RunRequest request, RunReport report, CancellationToken cancellationToken);
}
