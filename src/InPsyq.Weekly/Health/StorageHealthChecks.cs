using System.Globalization;
using Azure.Core;
using Azure.Identity;
using InPsyq.Weekly.Alerts;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Interpretation;
using InPsyq.Weekly.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Health;

/// <summary><c>postgres</c>: the server answers and the pipeline migrations are current (a runtime refuses runs otherwise).</summary>
public sealed class PostgresHealthCheck(SchemaVersion schema) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = await schema.ReadAsync(cancellationToken);
        return state.IsCurrent
            ? HealthCheckResult.Healthy("Postgres answers and the pipeline migrations are current.", data: HealthObservation.Of(state.Applied, "schema_version"))
            : HealthCheckResult.Unhealthy(
                $"Pipeline migrations are behind this build (expected {state.Required}): runs are refused until the migrator applies them (docs/deploy.md).",
                data: HealthObservation.Of(state.Applied, "schema_version"));
    }
}

/// <summary><c>blob_storage</c>: both containers exist and answer.</summary>
public sealed class BlobStorageHealthCheck(BlobStore blobs) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await blobs.Locks.GetPropertiesAsync(cancellationToken: cancellationToken);
        await blobs.Attribution.GetPropertiesAsync(cancellationToken: cancellationToken);
        return HealthCheckResult.Healthy("The lock and attribution containers answer.", data: HealthObservation.Of("2", "containers"));
    }
}

/// <summary>
/// <c>auth</c>: no secret setting is an unresolved Key Vault or App Configuration reference; both internal secrets
/// configured, long enough and different (never their values); and where a connection logs in
/// with the managed identity instead of a secret — Postgres with Entra auth, blob storage by service URI, Azure OpenAI
/// without a key — a token for its audience can be acquired (never shown).
/// </summary>
public sealed class AuthHealthCheck(
    IOptions<SecretsOptions> secrets,
    IOptions<StorageOptions> storage,
    IOptions<LlmOptions> llm,
    IOptions<AlertOptions> alerts,
    TokenCredential credential) : IHealthCheck
{
    /// <summary>The token audience of Azure Storage.</summary>
    internal const string StorageTokenScope = "https://storage.azure.com/.default";

    /// <summary>The token audience of Azure OpenAI (the default of <c>AzureOpenAIClientOptions.Audience</c>).</summary>
    internal const string OpenAITokenScope = "https://cognitiveservices.azure.com/.default";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var unresolved = new object[] { secrets.Value, storage.Value, llm.Value, alerts.Value }.SelectMany(PlatformReference.UnresolvedSettingsOf).ToList();
        if (unresolved.Count > 0)
        {
            return HealthCheckResult.Unhealthy(string.Join(" ", unresolved.Select(PlatformReference.Describe)));
        }

        var failures = new SecretsOptionsValidator().Validate(null, secrets.Value);
        if (failures.Failed)
        {
            return HealthCheckResult.Unhealthy(failures.FailureMessage ?? "The internal secrets are misconfigured.");
        }

        var connections = IdentityConnections();
        foreach (var (connection, scope) in connections)
        {
            try
            {
                await credential.GetTokenAsync(new TokenRequestContext([scope]), cancellationToken);
            }
            catch (AuthenticationFailedException exception)
            {
                return HealthCheckResult.Unhealthy(
                    $"No managed-identity token for {connection} ({scope}): {FirstLine(exception.Message)}", data: HealthObservation.Of("0", "identity_tokens"));
            }
        }

        var secretsMessage = "Both internal secrets are configured, at least 32 characters long and different.";
        return connections.Count == 0
            ? HealthCheckResult.Healthy(secretsMessage)
            : HealthCheckResult.Healthy(
                $"{secretsMessage} Managed-identity tokens acquired for {string.Join(", ", connections.Select(c => c.Connection))}.",
                data: HealthObservation.Of(connections.Count.ToString(CultureInfo.InvariantCulture), "identity_tokens"));
    }

    private List<(string Connection, string Scope)> IdentityConnections()
    {
        var connections = new List<(string Connection, string Scope)>();
        if (storage.Value.PostgresUseEntraAuth)
        {
            connections.Add(("postgres", PostgresDataSourceFactory.EntraTokenScope));
        }

        if (string.IsNullOrEmpty(storage.Value.BlobConnectionString))
        {
            connections.Add(("blob_storage", StorageTokenScope));
        }

        if (llm.Value.UsesAzureOpenAI && string.IsNullOrEmpty(llm.Value.ApiKey))
        {
            connections.Add(("llm", OpenAITokenScope));
        }

        return connections;
    }

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length <= 300 ? line : line[..300] + "…";
    }
}
