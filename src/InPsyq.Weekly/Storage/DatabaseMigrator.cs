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
/// Evolve's cluster mode takes an advisory lock, so concurrent start-ups migrate once.
/// </summary>
public sealed partial class DatabaseMigrator(
    NpgsqlDataSource dataSource,
    IOptions<StorageOptions> options,
    ILogger<DatabaseMigrator> logger)
{
    public const string PipelineChangelog = "inpsyq_pipeline_changelog";
    public const string SourceChangelog = "inpsyq_source_changelog";
    private const string ResourcePrefix = "InPsyq.Weekly.Storage.Migrations.";

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
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
