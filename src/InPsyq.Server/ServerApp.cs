using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Diagnostics;
using InPsyq.Weekly.Health;
using InPsyq.Weekly.Hosting;
using InPsyq.Weekly.Http;
using InPsyq.Weekly.Jobs;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;

namespace InPsyq.Server;

/// <summary>
/// The standalone host: the same routes as the Azure Functions app, under <c>/api</c>, served by Kestrel, plus an
/// in-process scheduler for the same jobs and schedules (<see cref="JobScheduler"/>; off with
/// <c>SCHEDULER_ENABLED=false</c>). This is its composition root.
/// </summary>
public static class ServerApp
{
    private static readonly string[] s_readOnlyRoutes =
    [
        LiveEndpoint.Route, WeeklyHealthEndpoint.Route, WeeklyRunsDiagEndpoint.Route, WeeklyRunsDiagEndpoint.Route + "/{runId}", JobsDiagEndpoint.Route,
    ];

    private static readonly string[] s_writeMethods = [HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete];

    private static readonly string[] s_postOnlyRoutes = [JobEndpoints.RunRoute, JobEndpoints.CancelRoute];

    private static readonly string[] s_nonPostMethods = [HttpMethods.Get, HttpMethods.Head, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete];

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
            .AddInPsyqWeeklyHttp(builder.Configuration);
        if (builder.Configuration.GetValue("SCHEDULER_ENABLED", defaultValue: true))
        {
            builder.Services.AddHostedService<JobScheduler>();
            // The host must outlast the scheduler's grace period for running jobs, plus time to record them cancelled.
            builder.Services.AddOptions<HostOptions>().Configure<IOptions<JobsOptions>>((host, jobs) =>
                host.ShutdownTimeout = jobs.Value.ShutdownGrace + TimeSpan.FromSeconds(10));
        }

        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        MapRoutes(app);
        return app;
    }

    private static void MapRoutes(WebApplication app)
    {
        var api = app.MapGroup("/api");
        api.Map(RunWeeklyEndpoint.Route, (HttpRequest request, RunWeeklyEndpoint endpoint, CancellationToken cancellationToken) =>
            endpoint.HandleAsync(request, cancellationToken));
        api.MapGet(LiveEndpoint.Route, LiveEndpoint.Handle);
        api.MapGet(WeeklyHealthEndpoint.Route, (HttpRequest request, WeeklyHealthEndpoint endpoint, CancellationToken cancellationToken) =>
            endpoint.HandleAsync(request, cancellationToken));
        api.MapGet(WeeklyRunsDiagEndpoint.Route, (HttpRequest request, WeeklyRunsDiagEndpoint endpoint, CancellationToken cancellationToken) =>
            endpoint.ListAsync(request, cancellationToken));
        api.MapGet(WeeklyRunsDiagEndpoint.Route + "/{runId}", (HttpRequest request, string runId, WeeklyRunsDiagEndpoint endpoint, CancellationToken cancellationToken) =>
            endpoint.GetAsync(request, runId, cancellationToken));
        api.MapGet(JobsDiagEndpoint.Route, (HttpRequest request, JobsDiagEndpoint endpoint, CancellationToken cancellationToken) =>
            endpoint.ListAsync(request, cancellationToken));
        api.MapPost(JobEndpoints.RunRoute, (HttpRequest request, string id, JobEndpoints endpoints, CancellationToken cancellationToken) =>
            endpoints.RunAsync(request, id, cancellationToken));
        api.MapPost(JobEndpoints.CancelRoute, (HttpRequest request, string id, JobEndpoints endpoints, CancellationToken cancellationToken) =>
            endpoints.CancelAsync(request, id, cancellationToken));

        // Other methods get the contract's 405 body rather than the router's empty one.
        foreach (var route in s_readOnlyRoutes)
        {
            api.MapMethods(route, s_writeMethods, () => Errors.MethodNotAllowed(HttpMethods.Get));
        }

        foreach (var route in s_postOnlyRoutes)
        {
            api.MapMethods(route, s_nonPostMethods, () => Errors.MethodNotAllowed(HttpMethods.Post));
        }
    }
}
