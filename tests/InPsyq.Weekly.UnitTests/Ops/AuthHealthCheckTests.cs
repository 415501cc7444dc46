using System.Reflection;
using Azure.Core;
using Azure.Identity;
using InPsyq.Weekly.Alerts;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Health;
using InPsyq.Weekly.Interpretation;
using InPsyq.Weekly.Storage;
using Microsoft.Extensions.Configuration;
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
            Options.Create(new AlertOptions()),
            _credential);

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("must be different", result.Description, StringComparison.Ordinal);
        await _credential.DidNotReceiveWithAnyArgs().GetTokenAsync(default, default);
    }

    [Theory]
    [InlineData(typeof(SecretsOptions), nameof(SecretsOptions.CronSecret), "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/cron/)")]
    [InlineData(typeof(SecretsOptions), nameof(SecretsOptions.PreviousAdminSecret), "@microsoft.keyvault(VaultName=kv;SecretName=admin-old)")]
    [InlineData(typeof(AlertOptions), nameof(AlertOptions.WebhookUrl), "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/webhook/)")]
    [InlineData(typeof(LlmOptions), nameof(LlmOptions.ApiKey), "@Microsoft.AppConfiguration(Endpoint=https://cfg.azconfig.io; Key=openai-key)")]
    [InlineData(typeof(StorageOptions), nameof(StorageOptions.PostgresConnectionString), " @MICROSOFT.KEYVAULT(SecretUri=https://kv.vault.azure.net/secrets/pg/)")]
    [InlineData(typeof(StorageOptions), nameof(StorageOptions.BlobConnectionString), "@Microsoft.AppConfiguration(Endpoint=https://cfg.azconfig.io; Key=blob)")]
    public async Task An_unresolved_platform_reference_in_any_secret_setting_makes_auth_unhealthy_and_names_it(Type optionsType, string property, string reference)
    {
        var secrets = new SecretsOptions { CronSecret = CronSecret, AdminSecret = AdminSecret };
        var storage = new StorageOptions { PostgresConnectionString = "Host=127.0.0.1;Username=app;Password=pw", BlobConnectionString = "UseDevelopmentStorage=true" };
        var llm = new LlmOptions { Endpoint = new Uri("https://example.openai.azure.com"), Deployment = "gpt", ApiKey = "key" };
        var alerts = new AlertOptions();
        var changed = new object[] { secrets, storage, llm, alerts }.Single(options => options.GetType() == optionsType);
        optionsType.GetProperty(property)!.SetValue(changed, reference);
        var setting = optionsType.GetProperty(property)!.GetCustomAttribute<ConfigurationKeyNameAttribute>()!.Name;

        var result = await new AuthHealthCheck(Options.Create(secrets), Options.Create(storage), Options.Create(llm), Options.Create(alerts), _credential)
            .CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(PlatformReference.Describe(setting), result.Description);
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
        Options.Create(new AlertOptions()),
        _credential);

    private string[] Scopes() => [.. _credential.ReceivedCalls()
        .Select(call => (TokenRequestContext)call.GetArguments()[0]!)
        .SelectMany(context => context.Scopes)];
}
