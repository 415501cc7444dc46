namespace InPsyq.Weekly.Storage;

/// <summary>Brings storage to the shape this build expects: migrations applied, blob containers present.</summary>
public sealed class StorageInitializer(DatabaseMigrator migrator, BlobStore blobs)
{
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(cancellationToken);
        await blobs.EnsureContainersAsync(cancellationToken);
    }
}
