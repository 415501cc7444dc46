using InPsyq.Weekly.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace InPsyq.Weekly.Rollup;

public static class RollupServiceCollectionExtensions
{
    /// <summary>
    /// Registers stage 1 (rollup). It has no settings of its own (its per-team budget is
    /// <c>WEEKLY_TEAM_TIMEOUT_SECONDS</c>) and needs the services of <c>AddInPsyqWeekly</c>.
    /// </summary>
    public static IServiceCollection AddRollupStage(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPipelineStage, RollupStage>());
        services.TryAddSingleton<StageOneFreshness>();
        return services;
    }
}
