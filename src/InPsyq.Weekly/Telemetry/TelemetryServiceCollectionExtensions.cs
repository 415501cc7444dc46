using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace InPsyq.Weekly.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The service name of both hosts' telemetry (a host may refine it, e.g. the Functions worker's defaults).</summary>
    public const string ServiceName = "inpsyq-weekly";

    /// <summary>
    /// OpenTelemetry for a host: the <c>InPsyq.Weekly</c> source and meter, ASP.NET Core and HttpClient
    /// instrumentation, Postgres (Npgsql's source) and the Azure SDK's sources (Blob, queue: their activities are
    /// switched on here), and logs; exported to Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set
    /// (with the managed identity when <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> asks for Entra), over OTLP when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (<c>OTEL_EXPORTER_OTLP_*</c> as the SDK reads them), nowhere otherwise.
    /// Both hosts' composition roots call it; the Functions app adds its worker's defaults to the builder it returns.
    /// </summary>
    public static OpenTelemetryBuilder AddWeeklyTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        // Azure.Core reads the switch once, when its first client operation starts: the composition root runs before.
        AppContext.SetSwitch(TelemetryExport.AzureActivitySourceSwitch, true);
        var builder = services.AddOpenTelemetry();
        builder
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithTracing(tracing => tracing
                .AddSource(WeeklyTelemetry.Name, TelemetryExport.NpgsqlSource, TelemetryExport.AzureSdkSources)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation())
            .WithMetrics(metrics => metrics
                .AddMeter(WeeklyTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation())
            .WithLogging(configureBuilder: null, configureOptions: logging =>
            {
                // A run's log lines carry its RunId, WeekStart and Scope through a log scope.
                logging.IncludeScopes = true;
                logging.IncludeFormattedMessage = true;
            });

        var export = TelemetryExport.From(configuration);
        if (export.AzureMonitorConnectionString is { } connectionString)
        {
            builder.UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = connectionString;
                // Every span of a run's trace, not a rate-limited sample of them: runs are few and their traces whole.
                options.SamplingRatio = 1.0F;
                options.TracesPerSecond = null;
            });
            if (export.AzureMonitorUsesEntra)
            {
                // Local auth is off (the Bicep's APPLICATIONINSIGHTS_AUTHENTICATION_STRING): the app's managed identity,
                // the credential every other identity-based connection uses (AZURE_CLIENT_ID).
                services.AddOptions<AzureMonitorExporterOptions>().Configure<TokenCredential>((options, credential) => options.Credential = credential);
            }
        }

        if (export.Otlp)
        {
            builder.UseOtlpExporter();
        }

        return builder;
    }
}
