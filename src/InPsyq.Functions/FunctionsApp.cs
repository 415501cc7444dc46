using InPsyq.Weekly.Hosting;
using InPsyq.Weekly.Telemetry;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace InPsyq.Functions;

/// <summary>
/// The composition root of the Azure Functions app: the same library composition as the standalone host, plus the
/// start-up check of the settings the function triggers bind to (<see cref="TriggerSettings"/>).
/// </summary>
public static class FunctionsApp
{
    /// <summary>The worker's builder with every registration of the app; <c>Program</c> builds and runs it.</summary>
    public static FunctionsApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        ConfigureServices(builder.Services, builder.Configuration);
        return builder;
    }

    /// <summary>
    /// The app's services; everything a function class needs must be registered here. Telemetry goes through
    /// OpenTelemetry (host.json's <c>telemetryMode</c>), with the worker's defaults: the invocation spans and resource.
    /// </summary>
    public static IServiceCollection ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        services
            .AddTriggerSettings(typeof(FunctionsApp).Assembly, configuration)
            .AddInPsyqWeekly(configuration)
            .AddInPsyqWeeklyHttp(configuration)
            .AddWeeklyTelemetry(configuration)
            .UseFunctionsWorkerDefaults();
        return services;
    }
}
