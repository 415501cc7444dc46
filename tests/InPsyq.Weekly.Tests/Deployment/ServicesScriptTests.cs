using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using Npgsql;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// <c>scripts/services.sh</c> checks its ports before it touches anything: the queue service of Azurite needs a port
/// of its own. (Starting and stopping the services is exercised by every test run that sources their env file.)
/// </summary>
public sealed class ServicesScriptTests
{
    [Theory]
    [InlineData("10300", "10300", "must differ")]
    [InlineData("10300", "55432", "must differ")]
    [InlineData("10300", "queue", "must be a port number")]
    public async Task A_queue_port_that_is_not_a_free_port_of_its_own_is_refused_by_name(string blobPort, string queuePort, string rule)
    {
        var stateDirectory = Path.Combine(Path.GetTempPath(), $"inpsyq-services-{Guid.NewGuid():N}");

        var (exitCode, _, stderr) = await RepositoryProcess.RunAsync("env",
            [$"INPSYQ_STATE_DIR={stateDirectory}", "INPSYQ_PG_PORT=55432", $"INPSYQ_AZURITE_PORT={blobPort}", $"INPSYQ_AZURITE_QUEUE_PORT={queuePort}",
             "bash", "scripts/services.sh", "status"],
            TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        Assert.Contains("INPSYQ_AZURITE_QUEUE_PORT", stderr, StringComparison.Ordinal);
        Assert.Contains(rule, stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(stateDirectory), "The script created its state directory before it checked its settings.");
    }

    /// <summary>
    /// The application role may clone and drop the tests' databases but not create roles (on PostgreSQL 15 a CREATEROLE
    /// role can grant itself pg_execute_server_program); the roles the migrations grant to exist without it.
    /// </summary>
    [Fact]
    public async Task The_local_app_role_may_create_databases_but_not_roles_and_the_group_roles_exist()
    {
        await using var connection = new NpgsqlConnection(TestEnvironment.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            select (select rolcreatedb and not rolcreaterole and not rolsuper from pg_roles where rolname = current_user),
                   (select count(*) from pg_roles where rolname = any($1) and not rolcanlogin)
            """, connection);
        command.Parameters.Add(new() { Value = DatabaseMigrator.GroupRoles.ToArray() });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();

        Assert.True(reader.GetBoolean(0), "the app role must have CREATEDB and neither CREATEROLE nor SUPERUSER");
        Assert.Equal(DatabaseMigrator.GroupRoles.Count, reader.GetInt64(1));
    }
}
