using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.WorkItems;

/// <summary>
/// Says a run is alive (<c>weekly_runs.heartbeat_at</c>, Postgres's clock) every <c>WEEKLY_RUN_HEARTBEAT_SECONDS</c>
/// while something works for it: a worker holding one of its items, or the process that admitted it and waits.
/// A run nobody speaks for within <c>WEEKLY_RUN_STALL_SECONDS</c> is ended by the reaper.
/// </summary>
public sealed partial class RunHeartbeat(WeeklyRunStore runs, IOptions<WorkOptions> options, TimeProvider time, ILogger<RunHeartbeat> logger)
{
    /// <summary>Beats until the returned handle is disposed (or <paramref name="cancellationToken"/> is cancelled).</summary>
    public IAsyncDisposable Start(Guid runId, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        return new Beating(stop, BeatAsync(runId, stop.Token));
    }

    private async Task BeatAsync(Guid runId, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await runs.HeartbeatAsync(runId, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (DependencyProbe.FailedDependencyOf(e) is not null)
            {
                // A missed beat is nobody's failure: the stall bound is many beats long.
                LogBeatFailed(runId, e.GetType().Name);
            }

            try
            {
                await Task.Delay(options.Value.Heartbeat, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private sealed class Beating(CancellationTokenSource stop, Task beating) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await beating;
            stop.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat of run {RunId} failed ({Error}); retried at the next one")]
    private partial void LogBeatFailed(Guid runId, string error);
}
