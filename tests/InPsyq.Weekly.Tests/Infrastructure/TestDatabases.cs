using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InPsyq.Weekly.Tests.Infrastructure;

/// <summary>
/// One migrated template database per test process, cloned into a fresh database per test class, so classes run
/// in parallel without seeing each other's rows and without paying for migrations again.
/// </summary>
internal static class TestDatabases
{
    private static readonly SemaphoreSlim s_cloneGate = new(1, 1);
    private static readonly string s_templateName = $"inpsyq_tpl_{Environment.ProcessId}";
    private static Task? s_template;

    public static async Task<string> CreateAsync()
    {
        await EnsureTemplateAsync();
        var name = $"inpsyq_t_{Guid.NewGuid():N}"[..24];
        await s_cloneGate.WaitAsync();
        try
        {
            await ExecuteAsync($"create database {name} template {s_templateName}");
        }
        finally
        {
            s_cloneGate.Release();
        }

        return ConnectionStringFor(name);
    }

    /// <summary>A new database without any migration, for tests of the migrations themselves.</summary>
    public static async Task<string> CreateEmptyAsync()
    {
        var name = $"inpsyq_e_{Guid.NewGuid():N}"[..24];
        await ExecuteAsync($"create database {name}");
        return ConnectionStringFor(name);
    }

    public static async Task DropAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ExecuteAsync($"drop database if exists {name} with (force)");
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 20)
            {
                // An autovacuum worker (a superuser backend) is in the database: the test role may not terminate
                // it, and it leaves within moments.
                await Task.Delay(250);
            }
        }
    }

    public static string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString) { Database = database, MaxPoolSize = 40 }.ConnectionString;

    private static Task EnsureTemplateAsync()
    {
        lock (s_cloneGate)
        {
            return s_template ??= CreateTemplateAsync();
        }
    }

    private static async Task CreateTemplateAsync()
    {
        await ExecuteAsync($"drop database if exists {s_templateName} with (force)");
        await ExecuteAsync($"create database {s_templateName}");
        var connectionString = ConnectionStringFor(s_templateName);
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            var options = Options.Create(new StorageOptions { PostgresConnectionString = connectionString, MigrateSourceTables = true });
            await new DatabaseMigrator(dataSource, options, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);
        }

        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync($"alter database {s_templateName} is_template true");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DropTemplate();
    }

    private static void DropTemplate()
    {
        try
        {
            ExecuteAsync($"alter database {s_templateName} is_template false").GetAwaiter().GetResult();
            ExecuteAsync($"drop database if exists {s_templateName} with (force)").GetAwaiter().GetResult();
        }
        catch (NpgsqlException)
        {
            // Best effort at process exit; the next run drops stale templates of its own name anyway.
        }
    }

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestEnvironment.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
