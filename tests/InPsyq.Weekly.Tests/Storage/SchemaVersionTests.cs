using InPsyq.Weekly.Health;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Tests.Storage;

/// <summary>
/// A host migrates at start-up only with a migrator connection; a runtime that finds the schema behind this build says
/// so, refuses runs and reports <c>postgres</c> unhealthy, until the migrator has applied the migrations. The schema is
/// put behind by forgetting the latest migration, which the migrator then applies again: the latest migration must be
/// re-runnable.
/// </summary>
public sealed class SchemaVersionTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task A_runtime_on_a_schema_behind_logs_it_refuses_runs_and_is_unhealthy_until_a_host_with_a_migrator_connection_starts()
    {
        await using (var command = fixture.DataSource.CreateCommand($"delete from {DatabaseMigrator.PipelineChangelog} where version = $1"))
        {
            command.Parameters.Add(new() { Value = DatabaseMigrator.LatestPipelineVersion });
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var logs = new CapturingLoggerProvider();
        var runtime = fixture.CreateServices(logs: logs);
        await runtime.GetRequiredService<StorageInitializer>().InitializeAsync(CancellationToken.None);

        var behind = Assert.Single(logs.Entries, entry => entry.Level == LogLevel.Critical);
        Assert.Contains("migrations are pending", behind.Message, StringComparison.Ordinal);
        Assert.Contains($"needs {DatabaseMigrator.LatestPipelineVersion}", behind.Message, StringComparison.Ordinal);
        var refusal = (await runtime.GetRequiredService<WeeklyRunner>().RunAsync(RunnerHarness.Request(), RunTrigger.Http, CancellationToken.None)).Refusal!;
        Assert.Equal((RefusalKind.Unavailable, "DEPENDENCY_UNAVAILABLE"), (refusal.Kind, refusal.Code));
        Assert.Contains("postgres", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(0, await fixture.CountAsync("weekly_runs"));
        Assert.Equal(HealthStatus.Unhealthy, (await PostgresCheckAsync(runtime)).Status);

        var withMigrator = fixture.CreateServices(new Dictionary<string, string?> { ["POSTGRES_MIGRATOR_CONNECTION_STRING"] = fixture.PostgresConnectionString });
        await withMigrator.GetRequiredService<StorageInitializer>().InitializeAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Healthy, (await PostgresCheckAsync(runtime)).Status);
    }

    [Fact]
    public async Task A_database_without_the_changelog_is_behind_this_build()
    {
        var state = await new SchemaVersion(fixture.DataSource).ReadAsync(CancellationToken.None);
        await using var elsewhere = Npgsql.NpgsqlDataSource.Create(
            new Npgsql.NpgsqlConnectionStringBuilder(fixture.PostgresConnectionString) { Database = "postgres" }.ConnectionString);

        var missing = await new SchemaVersion(elsewhere).ReadAsync(CancellationToken.None);

        Assert.True(state.IsCurrent);
        Assert.Equal(new SchemaState(null, DatabaseMigrator.LatestPipelineVersion), missing);
        Assert.False(missing.IsCurrent);
    }

    private static Task<HealthCheckResult> PostgresCheckAsync(IServiceProvider services) =>
        new PostgresHealthCheck(services.GetRequiredService<SchemaVersion>()).CheckHealthAsync(new HealthCheckContext());
}
