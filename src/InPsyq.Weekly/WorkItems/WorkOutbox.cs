using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.WorkItems;

/// <summary>
/// Sends the messages of items once the transaction that created them (and their outbox rows) has committed, and
/// confirms them; rows whose send was never confirmed (the sender died in between) are sent again by any worker.
/// A message sent twice is harmless: its second delivery finds the item claimed or final. A send that fails (the
/// queue does not answer) fails nothing: the items are committed, and their rows wait for a worker's resend. Every
/// message carries its run's trace context, a resend too (read from the run's audit row).
/// </summary>
public sealed partial class WorkOutbox(
    WorkItemStore items, WeeklyRunStore runs, WorkQueueClient queue, IOptions<WorkOptions> options, ILogger<WorkOutbox> logger)
{
    private const int ResendBatch = 100;

    /// <summary>
    /// Sends the items' messages, with the run's trace context, and confirms those sent; returns how many were. Items
    /// that <paramref name="startRun"/> go to the queue of first items, the others to the queue of items that continue a run.
    /// </summary>
    public async Task<int> SendAsync(Guid runId, IReadOnlyList<Guid> itemIds, RunTrace? trace, bool startRun, CancellationToken cancellationToken)
    {
        if (itemIds.Count == 0)
        {
            return 0;
        }

        var sent = new List<Guid>();
        try
        {
            foreach (var itemId in itemIds)
            {
                await queue.SendAsync(WorkMessage.For(runId, itemId, trace), continuesRun: !startRun, cancellationToken);
                sent.Add(itemId);
            }
        }
        catch (Exception e) when (DependencyProbe.FailedDependencyOf(e) is not null && !cancellationToken.IsCancellationRequested)
        {
            LogSendFailed(itemIds.Count - sent.Count, runId, e.GetType().Name);
        }

        if (sent.Count > 0)
        {
            await items.MarkSentAsync(sent, cancellationToken);
        }

        return sent.Count;
    }

    /// <summary>Sends again the rows older than <c>WEEKLY_WORK_OUTBOX_RESEND_SECONDS</c> whose send was not confirmed; returns how many were sent.</summary>
    public async Task<int> ResendAsync(CancellationToken cancellationToken)
    {
        var rows = await items.UnsentAsync(options.Value.OutboxResend, ResendBatch, cancellationToken);
        var sent = 0;
        foreach (var run in rows.GroupBy(row => row.RunId))
        {
            // The run is under way by now: its items no longer wait behind the first items of other runs.
            var trace = await runs.TraceAsync(run.Key, cancellationToken);
            sent += await SendAsync(run.Key, [.. run.Select(row => row.ItemId)], trace, startRun: false, cancellationToken);
        }

        return sent;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send {Count} work item messages of run {RunId} ({Error}); their outbox rows are sent again later")]
    private partial void LogSendFailed(int count, Guid runId, string error);
}
