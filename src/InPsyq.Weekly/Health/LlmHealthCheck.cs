using System.Globalization;
using InPsyq.Weekly.Interpretation;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Health;

/// <summary>
/// <c>llm</c>: with Azure OpenAI configured, the endpoint answers at all (any status below 500; a plain GET spends no
/// tokens); otherwise, also when it does not answer within the check timeout, degraded, because runs would fail or fall
/// back. Offline mode is healthy and says so.
/// </summary>
public sealed class LlmHealthCheck(IOptions<LlmOptions> options, IHttpClientFactory httpClients) : IHealthCheck
{
    public const string HttpClientName = "llm-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (options.Value.Endpoint is not { } endpoint)
        {
            return HealthCheckResult.Healthy("Offline interpreter: no AZURE_OPENAI_ENDPOINT is configured, so no LLM is called.", data: HealthObservation.Of(OfflineInterpreter.ModelId, "model"));
        }

        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).GetAsync(endpoint, cancellationToken);
            var status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            return (int)response.StatusCode < 500
                ? HealthCheckResult.Healthy("The Azure OpenAI endpoint answers.", data: HealthObservation.Of(status, "http_status"))
                : HealthCheckResult.Degraded("The Azure OpenAI endpoint answers with a server error; interpretations may fail or fall back.", data: HealthObservation.Of(status, "http_status"));
        }
        catch (HttpRequestException e)
        {
            return HealthCheckResult.Degraded($"The Azure OpenAI endpoint does not answer ({e.HttpRequestError}); interpretations may fail or fall back.");
        }
    }
}
