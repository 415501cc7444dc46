using System.Diagnostics;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Storage;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.WorkItems;

/// <summary>
/// Sends the messages of items once the transaction that created them (and their outbox rows) has committed, and
/// confirms them; rows whose send was never confirmed (the sender died in between) are sent again by any worker.
/// A message sent twice is harmless: its second delivery finds the item claimed or final.
/// </summary>
public sealed class WorkOutbox(WorkItemStore items, WorkQueueClient queue, IOptions<WorkOptions> options)
{
    private const int ResendBatch = 100;

    public async Task SendAsync(Guid runId, IReadOnlyList<Guid> itemIds, CancellationToken cancellationToken)
    {
        if (itemIds.Count == 0)
        {
            return;
        }

        foreach (var itemId in itemIds)
        {
            await queue.SendAsync(new WorkMessage(runId, itemId, Activity.Current?.Id), cancellationToken);
        }

        await items.MarkSentAsync(itemIds, cancellationToken);
    }

    /// <summary>Sends again the rows older than <c>WEEKLY_WORK_OUTBOX_RESEND_SECONDS</c> whose send was not confirmed; returns how many.</summary>
    public async Task<int> ResendAsync(CancellationToken cancellationToken)
    {
        var rows = await items.UnsentAsync(options.Value.OutboxResend, ResendBatch, cancellationToken);
        foreach (var run in rows.GroupBy(row => row.RunId))
        {
            await SendAsync(run.Key, [.. run.Select(row => row.ItemId)], cancellationToken);
        }

        return rows.Count;
    }
}
