using InPsyq.Weekly.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace InPsyq.Weekly.Rollup;

public static class RollupServiceCollectionExtensions
{
    /// <summary>
    /// Registers stage 1 (rollup). It has no settings of its own (its per-team budget is
    /// <c>WEEKLY_TEAM_TIMEOUT_SECONDS</c>); <paramref name="configuration"/> keeps the signature of the other stages.
    /// Needs the services of <c>AddInPsyqWeekly</c> (the Postgres data source and the time provider).
    /// </summary>
    public static IServiceCollection AddRollupStage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPipelineStage, RollupStage>());
        return services;
    }
}
