using InPsyq.Weekly.Runs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Alerts;

public static class AlertServiceCollectionExtensions
{
    /// <summary>
    /// Alerts on finished runs (an <see cref="IRunCompletionHandler"/>) and <see cref="AlertService"/> for the jobs.
    /// Needs the runner library's <c>NpgsqlDataSource</c> and <see cref="TimeProvider"/>.
    /// </summary>
    public static IServiceCollection AddAlerts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AlertOptions>().Bind(configuration).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AlertOptions>, AlertOptionsValidator>());
        services.AddHttpClient<AlertWebhookClient>((provider, client) =>
                client.Timeout = provider.GetRequiredService<IOptions<AlertOptions>>().Value.Timeout)
            .UseSocketsHttpHandler((handler, _) =>
            {
                // A singleton keeps this client, so connections are recycled by the pool instead of by handler rotation.
                handler.PooledConnectionLifetime = TimeSpan.FromMinutes(5);
                // A redirect is a failed delivery: the secret URL's payload must not follow a Location elsewhere.
                handler.AllowAutoRedirect = false;
                // The receiver is a third party: no traceparent, tracestate, Request-Id or baggage from our traces.
                handler.ActivityHeadersPropagator = null;
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // The default HttpClient logs write the request URI, and the webhook URL is a secret.
            .RemoveAllLoggers();
        services.TryAddSingleton<AlertService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRunCompletionHandler, RunAlertHandler>());
        return services;
    }
}
