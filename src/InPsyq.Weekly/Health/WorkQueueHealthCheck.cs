using System.Globalization;
using Azure;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.WorkItems;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Health;

/// <summary>
/// <c>work_queue</c>: the depth of <c>WEEKLY_WORK_QUEUE</c> and its <c>-next</c> lane together, the age of their
/// oldest visible message and the poison messages of the last 7 days. Degraded when the oldest message is older than
/// <c>HEALTH_QUEUE_AGE_DEGRADED_SECONDS</c> and no work item started within that time (nobody takes the messages), or
/// when young poison messages exist; unhealthy when the queue does not answer.
/// </summary>
public sealed class WorkQueueHealthCheck(WorkQueueClient queue, WorkItemStore workItems, IOptions<HealthOptions> options, TimeProvider time) : IHealthCheck
{
    private const string Unit = "messages";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        WorkQueueDepth depth;
        int youngPoison;
        try
        {
            depth = await queue.DepthAsync(cancellationToken);
            youngPoison = await queue.CountPoisonSinceAsync(now - WorkQueueClient.PoisonRetention, cancellationToken);
        }
        catch (Exception e) when (DependencyProbe.FailedDependencyOf(e) == Dependency.BlobStorage)
        {
            // The exception's message names the endpoint: only the status is shown.
            return HealthCheckResult.Unhealthy(
                e is RequestFailedException { Status: > 0 } failed ? $"The work queue does not answer (status {failed.Status})." : "The work queue does not answer.");
        }

        var threshold = options.Value.QueueAgeDegraded;
        var waiting = depth.OldestAge > threshold && !(await workItems.LastStartedAtAsync(cancellationToken) >= now - threshold);
        var observed = HealthObservation.Of(depth.Messages.ToString(CultureInfo.InvariantCulture), Unit);
        var oldest = depth.OldestAge is { } age ? string.Create(CultureInfo.InvariantCulture, $", the oldest {age.TotalSeconds:0} s old") : string.Empty;
        var summary = $"{depth.Messages} message(s) queued{oldest}; {youngPoison} poison message(s) in the last {WorkQueueClient.PoisonRetention.TotalDays:0} days.";
        if (waiting)
        {
            return HealthCheckResult.Degraded(
                $"{summary} No work item started in the last {threshold.TotalSeconds:0} s: no worker takes the messages.", data: observed);
        }

        return youngPoison > 0
            ? HealthCheckResult.Degraded($"{summary} Messages of poisoned items (or that no delivery could work) were moved to the poison queue.", data: observed)
            : HealthCheckResult.Healthy(summary, data: observed);
    }
}
