using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InPsyq.Weekly.Health;

/// <summary><c>postgres</c>: the server answers and the pipeline migrations are current.</summary>
public sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public string Name => "postgres";

    public async Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"select max(version) from {DatabaseMigrator.PipelineChangelog} where success and version is not null");
        var applied = await command.ExecuteScalarAsync(cancellationToken) as string;
        var expected = DatabaseMigrator.LatestPipelineVersion;
        return applied is not null && new Version(applied) >= new Version(expected)
            ? HealthCheckResult.Healthy("Postgres answers and the pipeline migrations are current.", applied, "schema_version")
            : HealthCheckResult.Unhealthy($"Pipeline migrations are behind this build (expected {expected}); run 'migrate'.", applied, "schema_version");
    }
}

/// <summary><c>blob_storage</c>: both containers exist and answer.</summary>
public sealed class BlobStorageHealthCheck(BlobStore blobs) : IHealthCheck
{
    public string Name => "blob_storage";

    public async Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        await blobs.Locks.GetPropertiesAsync(cancellationToken: cancellationToken);
        await blobs.Attribution.GetPropertiesAsync(cancellationToken: cancellationToken);
        return HealthCheckResult.Healthy("The lock and attribution containers answer.", "2", "containers");
    }
}

/// <summary><c>auth</c>: both secrets configured, long enough and different (never their values).</summary>
public sealed class AuthHealthCheck(IOptions<SecretsOptions> secrets) : IHealthCheck
{
    public string Name => "auth";

    public Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        var failures = new SecretsOptionsValidator().Validate(null, secrets.Value);
        return Task.FromResult(failures.Succeeded
            ? HealthCheckResult.Healthy("Both internal secrets are configured, at least 32 characters long and different.")
            : HealthCheckResult.Unhealthy(failures.FailureMessage ?? "The internal secrets are misconfigured."));
    }
}
