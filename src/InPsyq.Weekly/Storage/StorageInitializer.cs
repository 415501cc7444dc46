using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Storage;

/// <summary>
/// Brings storage to the shape this build expects: migrations applied (only by a host with a migrator connection),
/// blob containers and the work queues present. A runtime whose schema is behind says so and refuses runs (its
/// <c>postgres</c> check is unhealthy) until the migrator has applied them.
/// </summary>
public sealed partial class StorageInitializer(
    MigratorDataSource migrator,
    DatabaseMigrator migrations,
    SchemaVersion schema,
    BlobStore blobs,
    WorkQueueClient queue,
    ILogger<StorageInitializer> logger)
{
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (migrator.IsConfigured)
        {
            await migrations.MigrateAsync(cancellationToken);
        }

        if (await schema.ReadAsync(cancellationToken) is { IsCurrent: false } state)
        {
            LogSchemaBehind(state.Applied ?? "none", state.Required);
        }

        await blobs.EnsureContainersAsync(cancellationToken);
        await queue.EnsureAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The database's pipeline schema is {Applied} but this build needs {Required}: migrations are pending, "
        + "so this host refuses every run and its postgres health check is unhealthy until they are applied. Migrations run at start-up "
        + "only with POSTGRES_MIGRATOR_CONNECTION_STRING, or with the 'migrate' verb (docs/deploy.md, step 3).")]
    private partial void LogSchemaBehind(string applied, string required);
}
