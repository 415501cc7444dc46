using Azure.Core;
using Azure.Identity;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Health;
using InPsyq.Weekly.Interpretation;
using InPsyq.Weekly.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using NSubstitute;
using NSubstitute.ExceptionExtensions;

namespace InPsyq.Weekly.UnitTests.Ops;

/// <summary>
/// The <c>auth</c> health check: the secrets, and a managed-identity token for every connection that logs in without a
/// secret. The identity provider is the seam: a substitute credential stands in for Microsoft Entra.
/// </summary>
public sealed class AuthHealthCheckTests
{
    private const string CronSecret = "cron-secret-0123456789abcdef0123456789";
    private const string AdminSecret = "admin-secret-0123456789abcdef012345678";

    private readonly TokenCredential _credential = Substitute.For<TokenCredential>();

    public AuthHealthCheckTests()
    {
        _credential.GetTokenAsync(Arg.Any<TokenRequestContext>(), Arg.Any<CancellationToken>())
            .Returns(new AccessToken("a-token-never-shown", DateTimeOffset.UtcNow.AddHours(1)));
    }

    [Fact]
    public async Task With_secret_based_connections_only_no_token_is_asked_for()
    {
        var result = await Check(entraPostgres: false, blobByUri: false, llmKey: "key").CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, result.Status);
        await _credential.DidNotReceiveWithAnyArgs().GetTokenAsync(default, default);
    }

    [Fact]
    public async Task Every_identity_based_connection_gets_a_token_for_its_audience()
    {
        var result = await Check(entraPostgres: true, blobByUri: true, llmKey: null).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("3", HealthObservation.ValueIn(result.Data));
        Assert.Contains("postgres, blob_storage, llm", result.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("a-token-never-shown", result.Description, StringComparison.Ordinal);
        string[] expected = [PostgresDataSourceFactory.EntraTokenScope, AuthHealthCheck.StorageTokenScope, AuthHealthCheck.OpenAITokenScope];
        Assert.Equal(expected, Scopes());
    }

    [Fact]
    public async Task An_llm_called_with_a_key_needs_no_token()
    {
        await Check(entraPostgres: true, blobByUri: false, llmKey: "key").CheckHealthAsync(new HealthCheckContext());

        Assert.Equal([PostgresDataSourceFactory.EntraTokenScope], Scopes());
    }

    [Fact]
    public async Task A_token_that_cannot_be_acquired_makes_auth_unhealthy_and_names_the_connection()
    {
        _credential.GetTokenAsync(Arg.Is<TokenRequestContext>(context => context.Scopes.Contains(AuthHealthCheck.StorageTokenScope)), Arg.Any<CancellationToken>())
            .ThrowsAsync(new CredentialUnavailableException("ManagedIdentityCredential authentication unavailable.\nSee the troubleshooting guide."));

        var result = await Check(entraPostgres: true, blobByUri: true, llmKey: null).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(
            $"No managed-identity token for blob_storage ({AuthHealthCheck.StorageTokenScope}): ManagedIdentityCredential authentication unavailable.",
            result.Description);
        Assert.DoesNotContain(CronSecret, result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Misconfigured_secrets_are_unhealthy_before_any_token_is_asked_for()
    {
        var check = new AuthHealthCheck(
            Options.Create(new SecretsOptions { CronSecret = CronSecret, AdminSecret = CronSecret }),
            Options.Create(new StorageOptions { PostgresUseEntraAuth = true }),
            Options.Create(new LlmOptions()),
            _credential);

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("must be different", result.Description, StringComparison.Ordinal);
        await _credential.DidNotReceiveWithAnyArgs().GetTokenAsync(default, default);
    }

    private AuthHealthCheck Check(bool entraPostgres, bool blobByUri, string? llmKey) => new(
        Options.Create(new SecretsOptions { CronSecret = CronSecret, AdminSecret = AdminSecret }),
        Options.Create(new StorageOptions
        {
            PostgresUseEntraAuth = entraPostgres,
            BlobConnectionString = blobByUri ? null : "UseDevelopmentStorage=true",
            BlobServiceUri = blobByUri ? new Uri("https://account.blob.core.windows.net") : null,
        }),
        Options.Create(new LlmOptions { Endpoint = new Uri("https://example.openai.azure.com"), Deployment = "gpt", ApiKey = llmKey }),
        _credential);

    private string[] Scopes() => [.. _credential.ReceivedCalls()
        .Select(call => (TokenRequestContext)call.GetArguments()[0]!)
        .SelectMany(context => context.Scopes)];
}
