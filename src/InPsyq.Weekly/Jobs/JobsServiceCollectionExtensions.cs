using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace InPsyq.Weekly.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>The job machinery: registry, runner, execution log and overlap guard. Jobs are added with <see cref="AddJob{TJob}"/>.</summary>
    public static IServiceCollection AddJobEngine(this IServiceCollection services)
    {
        services.TryAddSingleton<IJitterSource, SharedRandomJitterSource>();
        services.TryAddSingleton<JobRegistry>();
        services.TryAddSingleton<JobExecutionLog>();
        services.TryAddSingleton<JobOverlapGuard>();
        services.TryAddSingleton<JobRunner>();
        services.AddHostedService<JobRegistryStartup>();
        return services;
    }

    /// <summary>Registers a job class and its definition.</summary>
    public static IServiceCollection AddJob<TJob>(this IServiceCollection services)
        where TJob : class, IJob
    {
        services.TryAddSingleton<TJob>();
        return services.AddSingleton(provider =>
            TJob.Define(provider, (context, cancellationToken) => provider.GetRequiredService<TJob>().RunAsync(context, cancellationToken)));
    }

    /// <summary>Builds the registry when the host starts, so an invalid job list stops it before it serves anything.</summary>
    private sealed class JobRegistryStartup(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<JobRegistry>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
