using InPsyq.Weekly.Storage;
using Microsoft.Extensions.Hosting;

namespace InPsyq.Weekly.Hosting;

/// <summary>Applies migrations and creates the blob containers when a host starts, before it serves anything.</summary>
internal sealed class StorageStartup(StorageInitializer initializer) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => initializer.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
