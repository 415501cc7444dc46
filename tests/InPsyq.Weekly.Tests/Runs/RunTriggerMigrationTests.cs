using EvolveDb;
using EvolveDb.Migration;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Ops;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InPsyq.Weekly.Tests.Runs;

/// <summary>The migration to one trigger vocabulary, over a database the previous version migrated and wrote to.</summary>
public sealed class RunTriggerMigrationTests : IAsyncLifetime
{
    private const string ResourcePrefix = "InPsyq.Weekly.Storage.Migrations.";
    private const string Migration = "__run_triggers.sql";

    private string _connectionString = string.Empty;
    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        _connectionString = await TestDatabases.CreateEmptyAsync();
        _dataSource = NpgsqlDataSource.Create(_connectionString);
    }

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await TestDatabases.DropAsync(_connectionString);
    }

    [Fact]
    public async Task Timer_runs_become_schedule_runs_and_the_table_then_takes_the_new_triggers_only()
    {
        await MigrateToAsync("Source", DatabaseMigrator.SourceChangelog, target: null);
        await MigrateToAsync("Pipeline", DatabaseMigrator.PipelineChangelog, target: VersionBefore(Migration));
        var rows = new RunRows(_dataSource);
        var timerRun = await rows.AddAsync("completed", DateTimeOffset.UtcNow, trigger: "timer");
        var httpRun = await rows.AddAsync("completed", DateTimeOffset.UtcNow, trigger: "http");

        var options = Options.Create(new StorageOptions { PostgresConnectionString = _connectionString, MigrateSourceTables = true });
        await new DatabaseMigrator(_dataSource, options, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);

        Assert.Equal(("schedule", "http"), (await rows.TriggerOfAsync(timerRun), await rows.TriggerOfAsync(httpRun)));
        Assert.Equal("manual", await rows.TriggerOfAsync(await rows.AddAsync("completed", DateTimeOffset.UtcNow, trigger: "manual")));
        var rejected = await Assert.ThrowsAsync<PostgresException>(() => rows.AddAsync("completed", DateTimeOffset.UtcNow, trigger: "timer"));
        Assert.Equal((PostgresErrorCodes.CheckViolation, "weekly_runs_trigger_check"), (rejected.SqlState, rejected.ConstraintName));
    }

    /// <summary>The pipeline version just before the migration whose file name ends with <paramref name="migration"/>.</summary>
    private static string VersionBefore(string migration)
    {
        var versions = typeof(DatabaseMigrator).Assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix + "Pipeline.V", StringComparison.Ordinal))
            .Select(name => (Name: name, Version: new Version(name[(ResourcePrefix.Length + "Pipeline.V".Length)..].Split("__")[0].Replace('_', '.'))))
            .OrderBy(entry => entry.Version)
            .ToList();
        var index = versions.FindIndex(entry => entry.Name.EndsWith(migration, StringComparison.Ordinal));
        Assert.True(index > 0, $"No pipeline migration ending {migration} after a first one.");
        return versions[index - 1].Version.ToString();
    }

    private async Task MigrateToAsync(string set, string changelog, string? target)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var evolve = new Evolve(connection)
        {
            EmbeddedResourceAssemblies = [typeof(DatabaseMigrator).Assembly],
            EmbeddedResourceFilters = [ResourcePrefix + set],
            MetadataTableName = changelog,
        };
        if (target is not null)
        {
            evolve.TargetVersion = new MigrationVersion(target);
        }

        evolve.Migrate();
    }
}
