using Azure.Core;
using InPsyq.Weekly.Configuration;
using Npgsql;

namespace InPsyq.Weekly.Storage;

/// <summary>
/// Builds the pipeline's <see cref="NpgsqlDataSource"/>. With <c>POSTGRES_USE_ENTRA_AUTH=true</c> every new physical
/// connection authenticates with a Microsoft Entra access token as its password (Azure Database for PostgreSQL with
/// Entra authentication); otherwise the connection string's own password is used.
/// </summary>
public static class PostgresDataSourceFactory
{
    /// <summary>The token audience of Azure Database for PostgreSQL (and the other Azure open-source databases).</summary>
    public const string EntraTokenScope = "https://ossrdbms-aad.database.windows.net/.default";

    /// <summary>
    /// Azure.Identity hands out a cached token until five minutes before it expires, so fetching every four minutes
    /// never gives Postgres an expired one; a fetch that is served from the cache costs nothing.
    /// </summary>
    internal static readonly TimeSpan TokenRefreshInterval = TimeSpan.FromMinutes(4);

    /// <summary>How soon a failed token fetch is retried; connections opened meanwhile fail with its error.</summary>
    internal static readonly TimeSpan TokenRetryInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The data source for <paramref name="options"/>; <paramref name="credential"/> (in Azure the managed identity named
    /// by <c>AZURE_CLIENT_ID</c>) is asked for tokens only with Entra auth.
    /// </summary>
    public static NpgsqlDataSource Create(StorageOptions options, TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Create(options.PostgresConnectionString, options.PostgresUseEntraAuth, credential);
    }

    /// <summary>
    /// The migrator's data source (<c>POSTGRES_MIGRATOR_CONNECTION_STRING</c>), or null when none is configured. With Entra
    /// auth <paramref name="credential"/> is the migrator's own managed identity
    /// (<c>POSTGRES_MIGRATOR_MANAGED_IDENTITY_CLIENT_ID</c>), not the runtime's.
    /// </summary>
    public static NpgsqlDataSource? CreateMigrator(StorageOptions options, TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.HasMigratorConnection ? Create(options.PostgresMigratorConnectionString, options.PostgresUseEntraAuth, credential) : null;
    }

    private static NpgsqlDataSource Create(string? connectionString, bool useEntraAuth, TokenCredential credential)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (useEntraAuth)
        {
            builder.UsePeriodicPasswordProvider(
                (_, cancellationToken) => GetAccessTokenAsync(credential, cancellationToken),
                TokenRefreshInterval,
                TokenRetryInterval);
        }

        return builder.Build();
    }

    private static async ValueTask<string> GetAccessTokenAsync(TokenCredential credential, CancellationToken cancellationToken)
    {
        var token = await credential.GetTokenAsync(new TokenRequestContext([EntraTokenScope]), cancellationToken);
        return token.Token;
    }
}
