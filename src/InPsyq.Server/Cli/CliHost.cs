using Azure;
using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Hosting;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InPsyq.Server.Cli;

/// <summary>
/// The composition root of the CLI verbs: configuration, logging to stderr, the runner library, telemetry (exported at
/// the end of the verb when an exporter is configured). A verb's token is
/// cancelled by Ctrl-C or SIGTERM (the host's console lifetime); a verb that stops for it exits 130.
/// </summary>
internal static class CliHost
{
    /// <param name="verb">The verb, run once the host has started.</param>
    /// <param name="cancellationToken">Cancelled by the command line.</param>
    /// <param name="migrate">
    /// Apply the migrations before the host starts, as the migrator or, without a migrator connection, as the login of
    /// <c>POSTGRES_CONNECTION_STRING</c> (the <c>migrate</c> verb): the host then starts on a current schema.
    /// </param>
    public static async Task<int> RunAsync(
        Func<IServiceProvider, TimeProvider, CancellationToken, Task<int>> verb, CancellationToken cancellationToken, bool migrate = false)
    {
        var builder = Host.CreateApplicationBuilder();
        ServerApp.UseLocalDefaults(builder.Configuration);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options => options.SingleLine = true);
        builder.Logging.AddFilter(level => level >= LogLevel.Warning);
        builder.Logging.Configure(options => options.ActivityTrackingOptions = default);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddInPsyqWeekly(builder.Configuration).AddSingleton<DemoTenantSeeder>().AddSingleton<WeekSummary>();
        builder.Services.AddWeeklyTelemetry(builder.Configuration);

        using var host = builder.Build();
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(
            cancellationToken, host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
        try
        {
            if (migrate)
            {
                await host.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(stopping.Token);
            }

            await host.StartAsync(stopping.Token);
            return await verb(host.Services, host.Services.GetRequiredService<TimeProvider>(), stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"Configuration is invalid: {string.Join(" ", e.Failures)}");
            return ExitCodes.InvalidInput;
        }
        catch (Exception e) when (e is NpgsqlException or RequestFailedException or HttpRequestException)
        {
            var dependency = e is NpgsqlException ? "postgres" : "blob_storage";
            await Console.Error.WriteLineAsync($"DEPENDENCY_UNAVAILABLE: {dependency} is unavailable ({e.GetType().Name}).");
            return ExitCodes.DependencyUnavailable;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
