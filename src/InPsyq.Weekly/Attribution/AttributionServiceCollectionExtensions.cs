using InPsyq.Weekly.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace InPsyq.Weekly.Attribution;

public static class AttributionServiceCollectionExtensions
{
    /// <summary>Registers stage 2 (series and attribution) as an <see cref="IPipelineStage"/>.</summary>
    public static IServiceCollection AddAttributionStage(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPipelineStage, AttributionStage>());
        return services;
    }
}
