using EvolveDb;
using EvolveDb.Configuration;
using InPsyq.Weekly.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InPsyq.Weekly.Storage;

/// <summary>
/// Applies the ordered, recorded SQL migrations with Evolve. The source tables (owned by the wider product) are
/// a separate set with their own changelog, applied only when <c>MIGRATE_SOURCE_TABLES</c> is true.
/// Evolve's cluster mode takes an advisory lock, so concurrent start-ups migrate once. The data source is the
/// migrator's (<see cref="MigratorDataSource"/>): the login that owns the schema.
/// </summary>
public sealed partial class DatabaseMigrator(
    NpgsqlDataSource dataSource,
    IOptions<StorageOptions> options,
    ILogger<DatabaseMigrator> logger)
{
    public const string PipelineChangelog = "inpsyq_pipeline_changelog";
    public const string SourceChangelog = "inpsyq_source_changelog";
    private const string ResourcePrefix = "InPsyq.Weekly.Storage.Migrations.";

    /// <summary>The NOLOGIN roles the migrations grant to; cluster-wide, created by the administrator's SQL.</summary>
    public static IReadOnlyList<string> GroupRoles { get; } = ["inpsyq_service", "inpsyq_admin_ro"];

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await RequireGroupRolesAsync(GroupRoles, cancellationToken);
        if (options.Value.MigrateSourceTables)
        {
            await ApplyAsync("Source", SourceChangelog, cancellationToken);
        }

        await ApplyAsync("Pipeline", PipelineChangelog, cancellationToken);
    }

    /// <summary>The newest pipeline migration version shipped in this build, e.g. "1.2".</summary>
    public static string LatestPipelineVersion { get; } = typeof(DatabaseMigrator).Assembly.GetManifestResourceNames()
        .Where(name => name.StartsWith(ResourcePrefix + "Pipeline.V", StringComparison.Ordinal))
        .Select(name => name[(ResourcePrefix.Length + "Pipeline.V".Length)..].Split("__")[0].Replace('_', '.'))
        .OrderBy(version => new Version(version))
        .Last();

    /// <summary>
    /// Fails with the way out when one of <paramref name="roles"/> is missing and the migrator may not create it (no
    /// <c>CREATEROLE</c>): V1.2 would otherwise fail with a bare permission error. A migrator that may create roles
    /// leaves it to V1.2, which creates the missing ones.
    /// </summary>
    internal async Task RequireGroupRolesAsync(IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select coalesce(array_agg(r.name order by r.name) filter (where not exists (select from pg_roles where rolname = r.name)), '{}'),
                   (select rolcreaterole from pg_roles where rolname = current_user)
            from unnest($1::text[]) as r(name)
            """);
        command.Parameters.Add(new() { Value = roles.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var missing = reader.GetFieldValue<string[]>(0);
        if (missing.Length > 0 && !reader.GetBoolean(1))
        {
            throw new InvalidOperationException(
                $"The roles {string.Join(", ", missing)} do not exist and the migrating login may not create them (it has no CREATEROLE, as it should not). "
                + $"An administrator creates them once per server: run {AdministratorScript} as described in docs/deploy.md, step 3.");
        }
    }

    /// <summary>The administrator's idempotent SQL that creates the roles and gives both principals their rights.</summary>
    public const string AdministratorScript = "infra/postgres/principals.sql";

    private async Task ApplyAsync(string set, string changelog, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var evolve = new Evolve(connection, message => LogEvolve(set, message))
        {
            EmbeddedResourceAssemblies = [typeof(DatabaseMigrator).Assembly],
            EmbeddedResourceFilters = [ResourcePrefix + set],
            MetadataTableName = changelog,
            IsEraseDisabled = true,
            TransactionMode = TransactionKind.CommitEach,
            EnableClusterMode = true,
        };

        // Evolve is synchronous; keep the caller's thread free.
        await Task.Run(evolve.Migrate, cancellationToken);
        LogMigrated(set, evolve.NbMigration);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Evolve ({Set}): {Message}")]
    private partial void LogEvolve(string set, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Migrations ({Set}) are current; {Applied} applied now")]
    private partial void LogMigrated(string set, int applied);
}
