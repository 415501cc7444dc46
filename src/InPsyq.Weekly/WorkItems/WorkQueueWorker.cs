using Azure;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.WorkItems;

/// <summary>
/// The standalone hosts' consumer of the work queue (<c>serve</c>, <c>worker</c>, the CLI's <c>run-weekly</c>):
/// <c>WEEKLY_WORKERS</c> slots, each receiving one message at a time, invisible for <c>WEEKLY_WORK_VISIBILITY_SECONDS</c>
/// and renewed every <c>WEEKLY_WORK_RENEW_SECONDS</c> while its item is worked, deleted once the delivery is done. A
/// message that names no item goes to the poison queue. Outbox rows whose send was not confirmed are sent again every
/// <c>WEEKLY_WORK_OUTBOX_RESEND_SECONDS</c>. Stopping (the token) takes no new item and leaves the current one's
/// message for its redelivery: the next delivery keeps every team result recorded so far.
/// </summary>
public sealed partial class WorkQueueWorker(
    WorkQueueClient queue,
    WorkItemProcessor processor,
    WorkOutbox outbox,
    IOptions<WorkOptions> options,
    TimeProvider time,
    ILogger<WorkQueueWorker> logger)
{
    /// <summary>
    /// Works the queue until <paramref name="cancellationToken"/> stops it or <paramref name="done"/> (asked whenever
    /// a slot is idle or has finished an item) says there is nothing more to wait for.
    /// </summary>
    public async Task WorkAsync(Func<CancellationToken, Task<bool>>? done, CancellationToken cancellationToken)
    {
        using var noMoreItems = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var slots = Enumerable.Range(0, options.Value.Workers)
            .Select(_ => RunSlotAsync(done, noMoreItems, cancellationToken))
            .Append(ResendAsync(noMoreItems.Token));
        await Task.WhenAll(slots);
    }

    private async Task RunSlotAsync(Func<CancellationToken, Task<bool>>? done, CancellationTokenSource noMoreItems, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        while (!noMoreItems.IsCancellationRequested)
        {
            ReceivedMessage? message;
            try
            {
                using var polling = WeeklyTelemetry.Untraced();
                if (done is not null && await done(cancellationToken))
                {
                    await noMoreItems.CancelAsync();
                    return;
                }

                message = await queue.ReceiveAsync(settings.Visibility, noMoreItems.Token);
            }
            catch (OperationCanceledException) when (noMoreItems.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (DependencyProbe.FailedDependencyOf(e) is { } dependency)
            {
                LogDependencyFailed(DependencyProbe.NameOf(dependency), e.GetType().Name);
                message = null;
            }

            if (message is null)
            {
                await DelayAsync(settings.Poll, noMoreItems.Token);
                continue;
            }

            await WorkAsync(message, cancellationToken);
        }
    }

    private async Task WorkAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        if (WorkMessage.FromJson(message.Message.Body.ToString()) is not { } work)
        {
            LogUnreadable(message.Message.MessageId);
            await queue.MoveToPoisonAsync(message, message.Message.PopReceipt, cancellationToken);
            return;
        }

        var receipt = new PopReceipt(message.Message.PopReceipt);
        using var renewing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewal = RenewAsync(message, receipt, renewing.Token);
        var finished = false;
        try
        {
            await processor.ProcessAsync(work, cancellationToken);
            finished = !cancellationToken.IsCancellationRequested;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The message comes back after its visibility timeout; its item's attempts decide when it is poison.
            LogItemFailed(e, work.ItemId, work.RunId);
        }
        finally
        {
            await renewing.CancelAsync();
            await renewal;
        }

        if (finished)
        {
            try
            {
                await message.DeleteAsync(receipt.Value, CancellationToken.None);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 400)
            {
                // Its visibility lapsed and another instance received it: that delivery finds the item final.
            }
        }
    }

    private async Task RenewAsync(ReceivedMessage message, PopReceipt receipt, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        while (await DelayAsync(settings.Renew, cancellationToken))
        {
            try
            {
                receipt.Value = await message.RenewAsync(receipt.Value, settings.Visibility, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (RequestFailedException e)
            {
                // Another instance has the message now; the item's claim keeps this delivery from writing.
                LogRenewFailed(message.Message.MessageId, e.Status);
                return;
            }
        }
    }

    private async Task ResendAsync(CancellationToken cancellationToken)
    {
        while (await DelayAsync(options.Value.OutboxResend, cancellationToken))
        {
            try
            {
                // A look at the outbox every few seconds: resent messages carry no trace context either.
                using var polling = WeeklyTelemetry.Untraced();
                if (await outbox.ResendAsync(cancellationToken) is > 0 and var count)
                {
                    LogResent(count);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (DependencyProbe.FailedDependencyOf(e) is { } dependency)
            {
                LogDependencyFailed(DependencyProbe.NameOf(dependency), e.GetType().Name);
            }
        }
    }

    /// <summary>Waits; false when cancelled instead.</summary>
    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, time, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The current pop receipt of a message being worked (each renewal replaces it).</summary>
    private sealed class PopReceipt(string value)
    {
        public string Value { get; set; } = value;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue message {MessageId} names no work item; moved to the poison queue")]
    private partial void LogUnreadable(string messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Work item {ItemId} of run {RunId} failed; its message comes back after its visibility timeout")]
    private partial void LogItemFailed(Exception exception, Guid itemId, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew queue message {MessageId} (status {Status})")]
    private partial void LogRenewFailed(string messageId, int status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent {Count} unconfirmed work item messages again")]
    private partial void LogResent(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The work queue worker could not reach {Dependency} ({Error}); trying again")]
    private partial void LogDependencyFailed(string dependency, string error);
}
