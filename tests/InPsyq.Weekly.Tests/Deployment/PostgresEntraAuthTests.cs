using Azure.Core;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using Npgsql;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// <c>POSTGRES_USE_ENTRA_AUTH</c>: the data source logs in with a token of the credential as its password. Against
/// the local Postgres the "token" is its password, which proves the wiring without Azure.
/// </summary>
public sealed class PostgresEntraAuthTests
{
    [Fact]
    public async Task With_entra_auth_the_password_is_a_token_for_the_postgres_audience()
    {
        var local = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString);
        var credential = new RecordingCredential(local.Password!);
        var withoutPassword = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString) { Password = null };
        var options = new StorageOptions { PostgresConnectionString = withoutPassword.ConnectionString, PostgresUseEntraAuth = true };

        await using var dataSource = PostgresDataSourceFactory.Create(options, credential);
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("select current_user", connection);

        Assert.Equal(local.Username, await command.ExecuteScalarAsync());
        Assert.Equal(["https://ossrdbms-aad.database.windows.net/.default"], credential.RequestedScopes.Distinct());
    }

    [Fact]
    public async Task Without_entra_auth_the_connection_string_password_is_used_and_no_token_is_requested()
    {
        var credential = new RecordingCredential("not-the-password");
        var options = new StorageOptions { PostgresConnectionString = TestEnvironment.PostgresConnectionString };

        await using var dataSource = PostgresDataSourceFactory.Create(options, credential);
        await using var connection = await dataSource.OpenConnectionAsync();

        Assert.Empty(credential.RequestedScopes);
    }

    [Theory]
    [InlineData("Host=db;Database=inpsyq;Username=id-app;Password=hunter2-secret", "must not contain a Password")]
    [InlineData("Host=db;Database=inpsyq", "must name the Entra principal")]
    [InlineData("Host=db;Username=id-app;Pasword=hunter2-secret", "not a valid Npgsql connection string")]
    public void Entra_auth_refuses_to_start_with_a_connection_string_that_cannot_use_a_token(string connectionString, string expected)
    {
        var result = Validate(connectionString, useEntraAuth: true);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.Contains("POSTGRES_CONNECTION_STRING", failure, StringComparison.Ordinal);
        Assert.Contains(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Entra_auth_accepts_a_connection_string_with_a_username_and_no_password()
    {
        var result = Validate("Host=psql.example;Database=inpsyq;Username=id-app;SSL Mode=VerifyFull", useEntraAuth: true);

        Assert.True(result.Succeeded, string.Join("; ", result.Failures ?? []));
    }

    [Fact]
    public async Task The_migrator_connection_logs_in_with_a_token_of_its_own_credential_and_is_absent_unless_configured()
    {
        var local = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString);
        var migratorCredential = new RecordingCredential(local.Password!);
        var withoutPassword = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString) { Password = null };
        var options = new StorageOptions
        {
            PostgresConnectionString = "Host=db;Database=inpsyq;Username=id-runtime",
            PostgresMigratorConnectionString = withoutPassword.ConnectionString,
            PostgresUseEntraAuth = true,
        };

        await using var dataSource = PostgresDataSourceFactory.CreateMigrator(options, migratorCredential);
        await using var connection = await dataSource!.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("select current_user", connection);

        Assert.Equal(local.Username, await command.ExecuteScalarAsync());
        Assert.Equal([PostgresDataSourceFactory.EntraTokenScope], migratorCredential.RequestedScopes.Distinct());
        options.PostgresMigratorConnectionString = " ";
        Assert.Null(PostgresDataSourceFactory.CreateMigrator(options, migratorCredential));
    }

    [Theory]
    [InlineData("Host=db;Database=inpsyq;Username=id-migrator", null, true, "POSTGRES_MIGRATOR_MANAGED_IDENTITY_CLIENT_ID (the client id of the migrator's managed identity) is required")]
    [InlineData("Host=db;Database=inpsyq;Username=id-migrator", "not-a-guid", true, "POSTGRES_MIGRATOR_MANAGED_IDENTITY_CLIENT_ID (the client id of the migrator's managed identity) is required")]
    [InlineData("Host=db;Database=inpsyq;Username=id-app", "7f0c2c58-5b3a-4c1e-9d55-0d0b3f1f8f4e", true, "must name another principal")]
    [InlineData("Host=db;Database=inpsyq;Username=id-migrator;Password=hunter2-secret", "7f0c2c58-5b3a-4c1e-9d55-0d0b3f1f8f4e", true, "POSTGRES_MIGRATOR_CONNECTION_STRING must not contain a Password")]
    [InlineData(null, "7f0c2c58-5b3a-4c1e-9d55-0d0b3f1f8f4e", false, "is set without POSTGRES_MIGRATOR_CONNECTION_STRING")]
    public void A_migrator_connection_that_cannot_log_in_as_its_own_identity_refuses_to_start(
        string? migrator, string? clientId, bool useEntraAuth, string expected)
    {
        var result = new StorageOptionsValidator().Validate(null, Options("Host=db;Database=inpsyq;Username=id-app", useEntraAuth, migrator, clientId));

        var failure = Assert.Single(result.Failures ?? []);
        Assert.Contains(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_migrator_connection_with_its_own_identity_is_valid()
    {
        var result = new StorageOptionsValidator().Validate(null, Options(
            "Host=db;Database=inpsyq;Username=id-app", true, "Host=db;Database=inpsyq;Username=id-migrator;Maximum Pool Size=1", "7f0c2c58-5b3a-4c1e-9d55-0d0b3f1f8f4e"));

        Assert.True(result.Succeeded, string.Join("; ", result.Failures ?? []));
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(string connectionString, bool useEntraAuth) =>
        new StorageOptionsValidator().Validate(null, Options(connectionString, useEntraAuth));

    private static StorageOptions Options(string connectionString, bool useEntraAuth, string? migrator = null, string? migratorClientId = null) => new()
    {
        PostgresConnectionString = connectionString,
        PostgresUseEntraAuth = useEntraAuth,
        PostgresMigratorConnectionString = migrator,
        PostgresMigratorManagedIdentityClientId = migratorClientId,
        BlobServiceUri = new Uri("https://example.blob.core.windows.net/"),
    };

    /// <summary>A credential that hands out a fixed token and records the scopes it was asked for.</summary>
    private sealed class RecordingCredential(string token) : TokenCredential
    {
        private readonly List<string> _scopes = [];

        public IReadOnlyList<string> RequestedScopes
        {
            get
            {
                lock (_scopes)
                {
                    return [.. _scopes];
                }
            }
        }

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            lock (_scopes)
            {
                _scopes.AddRange(requestContext.Scopes);
            }

            return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
