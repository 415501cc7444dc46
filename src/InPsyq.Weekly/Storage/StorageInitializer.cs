namespace InPsyq.Weekly.Storage;

/// <summary>Brings storage to the shape this build expects: migrations applied, blob containers and the work queues present.</summary>
public sealed class StorageInitializer(DatabaseMigrator migrator, BlobStore blobs, WorkQueueClient queue)
{
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(cancellationToken);
        await blobs.EnsureContainersAsync(cancellationToken);
        await queue.EnsureAsync(cancellationToken);
    }
}
