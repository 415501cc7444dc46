using InPsyq.Weekly.Primitives;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.LlmQuota;

public static class LlmQuotaServiceCollectionExtensions
{
    /// <summary>The quota governor of this process (one per deployment the process calls) and its store.</summary>
    public static IServiceCollection AddLlmQuotaGovernor(this IServiceCollection services, Func<IServiceProvider, LlmQuotaSettings> settings)
    {
        services.TryAddSingleton<LlmQuotaStore>();
        services.TryAddSingleton(provider => new LlmQuotaGovernor(
            settings(provider),
            provider.GetRequiredService<LlmQuotaStore>(),
            provider.GetRequiredService<HostIdentity>().Name,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<LlmQuotaGovernor>>()));
        return services;
    }
}
