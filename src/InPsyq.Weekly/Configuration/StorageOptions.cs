using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Configuration;

/// <summary>Where the pipeline keeps its state: Postgres for tables, Blob storage for locks and attribution.</summary>
public sealed class StorageOptions
{
    [SecretSetting]
    [ConfigurationKeyName("POSTGRES_CONNECTION_STRING")]
    public string? PostgresConnectionString { get; set; }

    /// <summary>
    /// Authenticate to Postgres with Microsoft Entra access tokens (Azure: the app's managed identity) instead of a
    /// password. The connection string then names the Entra principal as <c>Username</c> and has no <c>Password</c>.
    /// </summary>
    [ConfigurationKeyName("POSTGRES_USE_ENTRA_AUTH")]
    public bool PostgresUseEntraAuth { get; set; }

    /// <summary>
    /// The connection of the login that owns the schema (optional): with it a host applies the migrations at start-up
    /// and <c>db-maintenance</c> runs as that login; without it a host does not migrate (docs/deploy.md, step 3). Same
    /// authentication as <c>POSTGRES_CONNECTION_STRING</c>; with Entra auth its tokens are those of the identity named by
    /// <see cref="PostgresMigratorManagedIdentityClientId"/>.
    /// </summary>
    [ConfigurationKeyName("POSTGRES_MIGRATOR_CONNECTION_STRING")]
    public string? PostgresMigratorConnectionString { get; set; }

    /// <summary>Client id of the user-assigned managed identity the migrator connection logs in as (Entra auth only).</summary>
    [ConfigurationKeyName("POSTGRES_MIGRATOR_MANAGED_IDENTITY_CLIENT_ID")]
    public string? PostgresMigratorManagedIdentityClientId { get; set; }

    public bool HasMigratorConnection => !string.IsNullOrWhiteSpace(PostgresMigratorConnectionString);

    /// <summary>The storage account's connection string: its blob endpoint, and its queue endpoint for the work queue.</summary>
    [SecretSetting]
    [ConfigurationKeyName("BLOB_CONNECTION_STRING")]
    public string? BlobConnectionString { get; set; }

    /// <summary>Blob service URI for identity-based access (used when no connection string is set).</summary>
    [ConfigurationKeyName("BLOB_SERVICE_URI")]
    public Uri? BlobServiceUri { get; set; }

    /// <summary>Queue service URI for identity-based access; by default the blob service's account (<c>.blob.</c> → <c>.queue.</c>).</summary>
    [ConfigurationKeyName("QUEUE_SERVICE_URI")]
    public Uri? QueueServiceUri { get; set; }

    public Uri? EffectiveQueueServiceUri => QueueServiceUri
        ?? (BlobServiceUri is { } blob ? new UriBuilder(blob) { Host = blob.Host.Replace(".blob.", ".queue.", StringComparison.Ordinal) }.Uri : null);

    [ConfigurationKeyName("BLOB_ATTRIBUTION_CONTAINER")]
    public string AttributionContainer { get; set; } = "attribution";

    /// <summary>Whether migrations also create the source tables owned by the wider product (true only locally).</summary>
    [ConfigurationKeyName("MIGRATE_SOURCE_TABLES")]
    public bool MigrateSourceTables { get; set; }
}
