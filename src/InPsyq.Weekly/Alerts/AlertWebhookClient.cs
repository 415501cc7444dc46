using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Alerts;

/// <summary>
/// Posts one message to <c>ALERT_WEBHOOK_URL</c>, bounded by <c>ALERT_WEBHOOK_TIMEOUT_SECONDS</c> (the client's
/// timeout). Failures come back as a short description that names neither the URL nor anything from the response (a
/// redirect is one: <c>HTTP 302</c>, its <c>Location</c> unfollowed and unmentioned).
/// </summary>
public sealed class AlertWebhookClient(HttpClient httpClient, IOptions<AlertOptions> options)
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json") { CharSet = "utf-8" };

    /// <summary>Sends <paramref name="payload"/> (JSON); returns null when the receiver accepted it, else why not.</summary>
    public async Task<string?> PostAsync(string payload, CancellationToken cancellationToken)
    {
        try
        {
            using var content = new StringContent(payload, s_json);
            using var response = await httpClient.PostAsync(options.Value.WebhookUri, content, cancellationToken);
            return response.IsSuccessStatusCode ? null : string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return string.Create(CultureInfo.InvariantCulture, $"no answer within {options.Value.TimeoutSeconds} s");
        }
        catch (HttpRequestException e)
        {
            // The exception's message names the host and port; its error category is enough to act on.
            return $"request failed ({e.HttpRequestError})";
        }
    }
}
