using Npgsql;

namespace InPsyq.Bench;

/// <summary>A database of its own on the local cluster, created for one benchmark run and dropped after it.</summary>
internal sealed class BenchDatabase(string adminConnectionString, string name) : IAsyncDisposable
{
    public string Name { get; } = name;

    public string ConnectionString { get; } =
        new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name, MaxPoolSize = 20, CommandTimeout = 0 }.ConnectionString;

    public static async Task<BenchDatabase> CreateAsync(string adminConnectionString, CancellationToken cancellationToken)
    {
        var database = new BenchDatabase(adminConnectionString, $"inpsyq_bench_{Environment.ProcessId}");
        await database.ExecuteAsync($"drop database if exists {database.Name} with (force)", cancellationToken);
        await database.ExecuteAsync($"create database {database.Name}", cancellationToken);
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync($"drop database if exists {Name} with (force)", CancellationToken.None);
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
