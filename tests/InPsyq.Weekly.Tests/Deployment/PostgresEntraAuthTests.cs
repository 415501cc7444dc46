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

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(string connectionString, bool useEntraAuth) =>
        new StorageOptionsValidator().Validate(null, new StorageOptions
        {
            PostgresConnectionString = connectionString,
            PostgresUseEntraAuth = useEntraAuth,
            BlobServiceUri = new Uri("https://example.blob.core.windows.net/"),
        });

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
