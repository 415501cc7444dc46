using InPsyq.Weekly.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace InPsyq.Weekly.Attribution;

public static class AttributionServiceCollectionExtensions
{
    /// <summary>Registers stage 2 (series and attribution) as an <see cref="IPipelineStage"/>.</summary>
    /// <param name="configuration">Unused: stage 2 has no settings of its own; kept for symmetry with the other stages.</param>
    public static IServiceCollection AddAttributionStage(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPipelineStage, AttributionStage>());
        return services;
    }
}
