using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// docs/deploy.md, step 3, replayed on the shared local cluster: an administrator that is not a superuser runs
/// <c>infra/postgres/principals.sql</c> (the file the guide runs) for a migrator and a runtime login without
/// <c>CREATEROLE</c> or <c>CREATEDB</c>; the migrator migrates; the runtime runs a team's FULL week and can do nothing more.
/// Role and database names are unique per test, and dropped afterwards.
/// </summary>
public sealed class DatabasePrincipalsTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    private static readonly IsoWeek s_week = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-1);

    /// <summary>What the runtime may do on each kind of table (every other table privilege is denied).</summary>
    private static readonly string[] s_readWrite = ["SELECT", "INSERT", "UPDATE", "DELETE"];

    private static readonly string[] s_readOnlyTables =
    [
        DatabaseMigrator.PipelineChangelog, DatabaseMigrator.SourceChangelog,
        "orgs", "teams", "measurement_items", "measurement_responses", "team_dependencies",
    ];

    [Fact]
    public async Task The_runtime_runs_a_week_as_a_member_of_inpsyq_service_and_may_do_nothing_more()
    {
        await using var principals = await Principals.CreateAsync();
        await principals.RunAdministratorScriptAsync();
        await principals.RunAdministratorScriptAsync(); // idempotent

        await using (var migrator = NpgsqlDataSource.Create(principals.ConnectionStringOf(principals.Migrator)))
        {
            var options = Options.Create(new StorageOptions { MigrateSourceTables = true });
            await new DatabaseMigrator(migrator, options, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);
            await new DemoTenantSeeder(migrator).SeedAsync(DemoTenant.DefaultSeed, s_week, CancellationToken.None);
        }

        var org = DemoTenant.IdOf(DemoTenant.DefaultSeed, "org", "Northwind Health");
        var team = DemoTenant.IdOf(DemoTenant.DefaultSeed, "team", "Platform");
        var runtime = principals.ConnectionStringOf(principals.Runtime);
        // Disposed before the principals: their pools' sessions would keep the database from being dropped (the
        // administrator may not terminate sessions of the roles it created).
        await using var services = fixture.CreateServices(new Dictionary<string, string?> { ["POSTGRES_CONNECTION_STRING"] = runtime });
        var result = await services.GetRequiredService<WeeklyRunner>()
            .RunAsync(new RunRequest(s_week, org, team, RunMode.Full, false, false), RunTrigger.Cli, CancellationToken.None);

        Assert.Null(result.Refusal);
        var report = result.Report!;
        Assert.Equal(RunStatus.Completed, report.Status);
        Assert.Equal((1, 1, 1), (report.Counts.AggregatesWritten, report.Counts.AttributionsWritten, report.Counts.InterpretationsWritten));

        await using var admin = await principals.OpenAsync(principals.Admin);
        Assert.Empty(await UnexpectedTablePrivilegesAsync(admin, principals.Runtime));
        Assert.Equal(
            (false, false, false, false),
            await QueryAsync(admin, """
                select has_schema_privilege($1, 'public', 'CREATE'), has_database_privilege($1, current_database(), 'CREATE'),
                       exists (select from pg_class where relowner = (select oid from pg_roles where rolname = $1)),
                       (select rolcreaterole or rolcreatedb or rolsuper from pg_roles where rolname = $1)
                """, reader => (reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3)), principals.Runtime));
        Assert.True(
            await QueryAsync(admin, "select pg_has_role($1, 'inpsyq_service', 'MEMBER') and not pg_has_role($1, $2, 'MEMBER')", reader => reader.GetBoolean(0), principals.Runtime, principals.Migrator),
            "the runtime is a member of inpsyq_service and not of the migrator");

        // db-maintenance analyzes as the migrator (PostgreSQL skips ANALYZE of a table for a non-owner), logs as the runtime.
        await using var withMigrator = fixture.CreateServices(new Dictionary<string, string?>
        {
            ["POSTGRES_CONNECTION_STRING"] = runtime,
            ["POSTGRES_MIGRATOR_CONNECTION_STRING"] = principals.ConnectionStringOf(principals.Migrator),
        });
        var maintenance = await withMigrator.GetRequiredService<JobRunner>().RunAsync(DbMaintenanceJob.Id, JobTrigger.Manual, CancellationToken.None);
        Assert.Equal(JobStatus.Succeeded, maintenance.Status);
        await Eventually.UntilAsync(
            async () => await QueryAsync(admin, "select last_analyze is not null from pg_stat_user_tables where relname = 'weekly_runs'", reader => reader.GetBoolean(0)),
            "db-maintenance analyzed weekly_runs");

        await using var asRuntime = await principals.OpenAsync(principals.Runtime);
        var ddl = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var command = new NpgsqlCommand("create table runtime_ddl (id int)", asRuntime);
            await command.ExecuteNonQueryAsync();
        });
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, ddl.SqlState);
    }

    [Fact]
    public async Task Migrating_without_the_group_roles_and_without_CREATEROLE_names_the_administrators_sql()
    {
        await using var principals = await Principals.CreateAsync();
        await principals.RunAdministratorScriptAsync();
        await using var migrator = NpgsqlDataSource.Create(principals.ConnectionStringOf(principals.Migrator));
        var databaseMigrator = new DatabaseMigrator(migrator, Options.Create(new StorageOptions()), NullLogger<DatabaseMigrator>.Instance);
        string[] missing = [$"iq_missing_{principals.Suffix}"];

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => databaseMigrator.RequireGroupRolesAsync(missing, CancellationToken.None));

        Assert.Contains(missing[0], error.Message, StringComparison.Ordinal);
        Assert.Contains(DatabaseMigrator.AdministratorScript, error.Message, StringComparison.Ordinal);
        Assert.Contains("docs/deploy.md", error.Message, StringComparison.Ordinal);
        await databaseMigrator.RequireGroupRolesAsync(DatabaseMigrator.GroupRoles, CancellationToken.None);
    }

    /// <summary>The guide and this test run the same file; the Azure-only calls stay in the guide.</summary>
    [Fact]
    public void The_deploy_guide_runs_the_administrators_sql_the_tests_run()
    {
        var guide = File.ReadAllText(RepositoryFiles.PathOf("docs/deploy.md"));

        Assert.Contains($"-f {DatabaseMigrator.AdministratorScript}", guide, StringComparison.Ordinal);
        Assert.DoesNotContain("pgaadauth_create_principal(", File.ReadAllText(RepositoryFiles.PathOf(DatabaseMigrator.AdministratorScript)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Row_level_security_is_forced_wherever_it_is_enabled()
    {
        await using var connection = await fixture.DataSource.OpenConnectionAsync();
        var halfEnabled = await QueryAsync(
            connection,
            "select coalesce(string_agg(relname, ', '), '') from pg_class where relnamespace = 'public'::regnamespace and relrowsecurity and not relforcerowsecurity",
            reader => reader.GetString(0));

        Assert.True(halfEnabled.Length == 0, $"Row-level security that the owner bypasses: {halfEnabled}");
    }

    /// <summary>"table privilege" for each table privilege the runtime has and should not, or lacks and should have.</summary>
    private static async Task<List<string>> UnexpectedTablePrivilegesAsync(NpgsqlConnection connection, string runtime)
    {
        string[] privileges = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"];
        await using var command = new NpgsqlCommand("""
            select c.relname, p.name, has_table_privilege($1, c.oid, p.name)
            from pg_class c cross join unnest($2::text[]) as p(name)
            where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
            order by 1, 2
            """, connection);
        command.Parameters.Add(new() { Value = runtime });
        command.Parameters.Add(new() { Value = privileges });
        var unexpected = new List<string>();
        var tables = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var (table, privilege, granted) = (reader.GetString(0), reader.GetString(1), reader.GetBoolean(2));
            tables.Add(table);
            var expected = s_readOnlyTables.Contains(table) ? privilege == "SELECT" : s_readWrite.Contains(privilege);
            if (granted != expected)
            {
                unexpected.Add($"{table} {privilege} {(granted ? "granted" : "missing")}");
            }
        }

        Assert.Contains("weekly_runs", tables);
        Assert.Contains("orgs", tables);
        return unexpected;
    }

    private static async Task<T> QueryAsync<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new() { Value = value });
        }

        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return read(reader);
    }

    /// <summary>
    /// An administrator (CREATEROLE and CREATEDB, no superuser, like Azure's), the migrator and runtime logins it creates
    /// (neither may create roles or databases), and a database the administrator owns; all dropped on dispose.
    /// </summary>
    private sealed class Principals : IAsyncDisposable
    {
        private readonly string _password = Guid.NewGuid().ToString("N");

        private Principals(string suffix) => Suffix = suffix;

        public string Suffix { get; }

        public string Admin => $"iq_adm_{Suffix}";

        public string Migrator => $"iq_mig_{Suffix}";

        public string Runtime => $"iq_run_{Suffix}";

        public string Database => $"iq_db_{Suffix}";

        public static async Task<Principals> CreateAsync()
        {
            var principals = new Principals(Guid.NewGuid().ToString("N")[..10]);
            try
            {
                await ExecuteAsync(AdminConnectionString, $"create role {principals.Admin} login createrole createdb password '{principals._password}'");
                await using var admin = await principals.OpenAsync(principals.Admin, "postgres");
                await ExecuteAsync(admin, $"create role {principals.Migrator} login password '{principals._password}'");
                await ExecuteAsync(admin, $"create role {principals.Runtime} login password '{principals._password}'");
                await ExecuteAsync(admin, $"create database {principals.Database}");
            }
            catch
            {
                await principals.DisposeAsync();
                throw;
            }

            return principals;
        }

        /// <summary>The guide's step as written: the two settings, then the file.</summary>
        public async Task RunAdministratorScriptAsync()
        {
            await using var admin = await OpenAsync(Admin);
            await ExecuteAsync(admin, $"set inpsyq.migrator = '{Migrator}'; set inpsyq.runtime = '{Runtime}'");
            await ExecuteAsync(admin, await File.ReadAllTextAsync(RepositoryFiles.PathOf(DatabaseMigrator.AdministratorScript)));
        }

        public string ConnectionStringOf(string role, string? database = null) =>
            new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString)
            {
                Username = role,
                Password = _password,
                Database = database ?? Database,
                Pooling = false,
            }.ConnectionString;

        public async Task<NpgsqlConnection> OpenAsync(string role, string? database = null)
        {
            var connection = new NpgsqlConnection(ConnectionStringOf(role, database));
            await connection.OpenAsync();
            return connection;
        }

        public async ValueTask DisposeAsync()
        {
            NpgsqlConnection.ClearAllPools();
            try
            {
                await using var admin = await OpenAsync(Admin, "postgres");
                // Without FORCE: the administrator may terminate no session of another role, and a plain drop stops an
                // autovacuum worker of the database itself (FORCE refuses to, for lack of that right).
                await ExecuteAsync(admin, $"drop database if exists {Database}");
                await ExecuteAsync(admin, $"drop role if exists {Runtime}");
                await ExecuteAsync(admin, $"drop role if exists {Migrator}");
            }
            catch (PostgresException)
            {
                try
                {
                    await ExecuteAsync(AdminConnectionString, $"drop role if exists {Admin}");
                }
                catch (PostgresException)
                {
                    // It still owns what was not dropped: the failure to report is the first one.
                }

                throw;
            }

            await ExecuteAsync(AdminConnectionString, $"drop role if exists {Admin}");
        }

        /// <summary>The local stand-in for Azure's administrator, written to the env file by scripts/services.sh.</summary>
        private static string AdminConnectionString { get; } =
            Environment.GetEnvironmentVariable("POSTGRES_ADMIN_CONNECTION_STRING") is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException("POSTGRES_ADMIN_CONNECTION_STRING is not set: run scripts/services.sh start from this checkout and source the env file it prints.");

        private static async Task ExecuteAsync(string connectionString, string sql)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await ExecuteAsync(connection, sql);
        }

        private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
