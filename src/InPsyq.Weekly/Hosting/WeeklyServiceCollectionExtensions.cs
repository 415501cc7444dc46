using Azure.Core;
using Azure.Identity;
using InPsyq.Weekly.Alerts;
using InPsyq.Weekly.Attribution;
using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Health;
using InPsyq.Weekly.Http;
using InPsyq.Weekly.Interpretation;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Rollup;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Security;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.WorkItems;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InPsyq.Weekly.Hosting;

/// <summary>The composition of the runner library, shared by both hosts' composition roots.</summary>
public static class WeeklyServiceCollectionExtensions
{
    /// <summary>Everything a weekly run needs: options (validated at start-up), storage, locking, audit, the runner, the jobs.</summary>
    public static IServiceCollection AddInPsyqWeekly(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<WeeklyRunOptions, WeeklyRunOptionsValidator>(configuration);
        services.AddValidatedOptions<LockOptions, LockOptionsValidator>(configuration);
        services.AddValidatedOptions<StorageOptions, StorageOptionsValidator>(configuration);
        services.AddValidatedOptions<JobsOptions, JobsOptionsValidator>(configuration);
        services.AddValidatedOptions<RetentionOptions, RetentionOptionsValidator>(configuration);
        services.AddValidatedOptions<HealthOptions, HealthOptionsValidator>(configuration);
        services.AddValidatedOptions<WorkOptions, WorkOptionsValidator>(configuration);

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<HostIdentity>();
        // One managed-identity credential for every identity-based connection (Postgres with Entra auth, blob storage by
        // service URI, Azure OpenAI without a key); it fetches nothing until a token is asked for.
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());
        services.TryAddSingleton(provider => PostgresDataSourceFactory.Create(
            provider.GetRequiredService<IOptions<StorageOptions>>().Value, provider.GetRequiredService<TokenCredential>()));
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
            // The migrator logs in as a managed identity of its own (validated with Entra auth); without Entra auth no
            // credential is asked.
            var credential = options.PostgresMigratorManagedIdentityClientId is { Length: > 0 } clientId
                ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                : provider.GetRequiredService<TokenCredential>();
            return new MigratorDataSource(
                PostgresDataSourceFactory.CreateMigrator(options, credential), provider.GetRequiredService<NpgsqlDataSource>());
        });
        services.TryAddSingleton(provider => new DatabaseMigrator(
            provider.GetRequiredService<MigratorDataSource>().DataSource,
            provider.GetRequiredService<IOptions<StorageOptions>>(),
            provider.GetRequiredService<ILogger<DatabaseMigrator>>()));
        services.TryAddSingleton<SchemaVersion>();
        services.TryAddSingleton<BlobStore>();
        services.TryAddSingleton<TenantDirectory>();
        services.TryAddSingleton<LockFences>();
        services.TryAddSingleton<DependencyProbe>();
        services.TryAddSingleton<WeeklyLockManager>();
        services.TryAddSingleton<LockAdministration>();
        services.TryAddSingleton<WeeklyRunStore>();
        services.TryAddSingleton<WorkItemStore>();
        services.TryAddSingleton<WorkQueueClient>();
        services.TryAddSingleton<WorkOutbox>();
        services.TryAddSingleton<RunHeartbeat>();
        services.TryAddSingleton<WorkItemProcessor>();
        services.TryAddSingleton<WorkQueueWorker>();
        services.TryAddSingleton<WorkRunFinisher>();
        services.TryAddSingleton<TeamStageRunner>();
        services.TryAddSingleton<RunExecutionFactory>();
        services.TryAddSingleton<WeeklyRunner>();
        services.TryAddSingleton<ScheduledWeeklyRun>();
        services.TryAddSingleton<Backfill>();
        services.TryAddSingleton<StorageInitializer>();
        services.AddHostedService<StorageStartup>();
        services.AddRollupStage();
        services.AddAttributionStage();
        services.AddInterpretationStage(configuration);
        services.AddAlerts(configuration);
        services.AddWeeklyJobs();
        return services;
    }

    /// <summary>
    /// The HTTP API (<see cref="WeeklyApi"/>). Its secrets are required: the host refuses to start without them; Entra ID
    /// tokens are accepted besides them when <c>AUTH_ENTRA_*</c> is set.
    /// </summary>
    public static IServiceCollection AddInPsyqWeeklyHttp(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SecretsOptions, SecretsOptionsValidator>(configuration);
        services.AddValidatedOptions<EntraAuthOptions, EntraAuthOptionsValidator>(configuration);
        services.TryAddSingleton<EntraTokenValidator>();
        services.TryAddSingleton<RequestAuthenticator>();
        services.AddRequestLogRedaction();
        services.TryAddSingleton<WeeklyApi>();
        services.TryAddSingleton<RunWeeklyEndpoint>();
        services.TryAddSingleton<WeeklyHealthEndpoint>();
        services.TryAddSingleton<WeeklyRunsDiagEndpoint>();
        services.TryAddSingleton<JobsDiagEndpoint>();
        services.TryAddSingleton<JobEndpoints>();
        services.AddWeeklyHealthChecks();
        return services;
    }

    private static void AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, IConfiguration configuration)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }
}
