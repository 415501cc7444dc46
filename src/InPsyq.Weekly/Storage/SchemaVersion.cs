using Npgsql;

namespace InPsyq.Weekly.Storage;

/// <summary>The pipeline schema version a database holds (<c>null</c> when there is none to read) and the one this build needs.</summary>
public sealed record SchemaState(string? Applied, string Required)
{
    public bool IsCurrent => Applied is not null && new Version(Applied) >= new Version(Required);
}

/// <summary>
/// Reads the applied pipeline migrations from Evolve's changelog, as any login that may read it (the runtime may since
/// V1.8). A changelog that is missing or not readable means the migrations this build needs are not applied.
/// </summary>
public sealed class SchemaVersion(NpgsqlDataSource dataSource)
{
    public async Task<SchemaState> ReadAsync(CancellationToken cancellationToken)
    {
        var required = DatabaseMigrator.LatestPipelineVersion;
        await using var command = dataSource.CreateCommand(
            $"select version from {DatabaseMigrator.PipelineChangelog} where success and version is not null");
        try
        {
            var applied = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetString(0));
            }

            return new SchemaState(applied.Count == 0 ? null : applied.MaxBy(version => new Version(version)), required);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InsufficientPrivilege)
        {
            return new SchemaState(null, required);
        }
    }
}
