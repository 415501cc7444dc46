using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Hosting;
using InPsyq.Weekly.Http;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Telemetry;
using InPsyq.Weekly.WorkItems;
using Microsoft.AspNetCore.HttpLogging;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;

namespace InPsyq.Server;

/// <summary>
/// The standalone host: the same routes as the Azure Functions app, under <c>/api</c>, served by Kestrel, queue
/// workers that help every run (<see cref="WorkQueueService"/>), and an in-process scheduler for the same jobs and
/// schedules (<see cref="JobScheduler"/>; off with <c>SCHEDULER_ENABLED=false</c>). This is its composition root.
/// </summary>
public static class ServerApp
{
    /// <summary>Defaults of a local installation; environment variables and settings override them.</summary>
    public static IReadOnlyDictionary<string, string?> LocalDefaults { get; } = new Dictionary<string, string?>
    {
        ["MIGRATE_SOURCE_TABLES"] = "true",
    };

    /// <summary>Puts <see cref="LocalDefaults"/> beneath every other configuration source.</summary>
    internal static void UseLocalDefaults(IConfigurationManager configuration) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = LocalDefaults });

    /// <param name="args">Host arguments such as <c>--urls</c>.</param>
    /// <param name="settings">Settings that override the environment (tests use short durations).</param>
    /// <param name="configureServices">Extra services, e.g. pipeline stages supplied by a test.</param>
    public static WebApplication Build(
        string[] args, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        UseLocalDefaults(builder.Configuration);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Services
            .AddInPsyqWeekly(builder.Configuration)
            .AddInPsyqWeeklyHttp(builder.Configuration)
            .AddHostedService<WorkQueueService>()
            .AddWeeklyTelemetry(builder.Configuration);
        // One line per request in place of the hosting's (RequestLogging): the path without the query string.
        builder.Services.AddHttpLogging(logging =>
        {
            logging.LoggingFields = HttpLoggingFields.RequestMethod | HttpLoggingFields.RequestPath
                | HttpLoggingFields.ResponseStatusCode | HttpLoggingFields.Duration;
            logging.CombineLogs = true;
        });
        if (builder.Configuration.GetValue("SCHEDULER_ENABLED", defaultValue: true))
        {
            builder.Services.AddHostedService<JobScheduler>();
            // The host must outlast the scheduler's grace period for running jobs, plus time to record them cancelled.
            builder.Services.AddOptions<HostOptions>().Configure<IOptions<JobsOptions>>((host, jobs) =>
                host.ShutdownTimeout = jobs.Value.ShutdownGrace + TimeSpan.FromSeconds(10));
        }

        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        // WeeklyApi answers an endpoint's exception itself; this covers what fails around it (writing a response, say).
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = context => HttpErrors.Internal(context.TraceIdentifier).ExecuteAsync(context),
        });
        app.UseHttpLogging();
        app.MapInPsyqWeeklyApi();
        return app;
    }
}
