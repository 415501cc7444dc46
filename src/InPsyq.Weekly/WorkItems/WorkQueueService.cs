using Microsoft.Extensions.Hosting;

namespace InPsyq.Weekly.WorkItems;

/// <summary>The standalone host's queue workers (<c>serve</c>, <c>worker</c>): they help every run until the host stops.</summary>
public sealed class WorkQueueService(WorkQueueWorker worker) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => worker.WorkAsync(done: null, stoppingToken);
}
