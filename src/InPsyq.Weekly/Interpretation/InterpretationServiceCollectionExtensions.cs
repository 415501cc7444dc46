using InPsyq.Weekly.LlmQuota;
using InPsyq.Weekly.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Interpretation;

public static class InterpretationServiceCollectionExtensions
{
    /// <summary>
    /// Stage 3: the <c>LLM_*</c>/<c>AZURE_OPENAI_*</c> options (validated at start-up), the Azure OpenAI HttpClient with
    /// its resilience pipeline, the quota governor of the deployment, the interpreter (Azure OpenAI when an endpoint is
    /// configured, else offline) and the stage.
    /// </summary>
    public static IServiceCollection AddInterpretationStage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LlmOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LlmOptions>, LlmOptionsValidator>();

        // The SDK's pipeline has no timeout of its own that matters (NetworkTimeout is the whole call budget), so
        // the HttpClient must not cut the call short either: the resilience pipeline owns every time limit.
        services.AddHttpClient(AzureOpenAIChatClient.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler(LlmResilience.PipelineName, (builder, context) => LlmResilience.Configure(
                builder,
                context.ServiceProvider.GetRequiredService<IOptions<LlmOptions>>().Value,
                context.ServiceProvider.GetRequiredService<TimeProvider>(),
                context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LlmResilience).FullName!)));

        services.AddLlmQuotaGovernor(provider =>
        {
            var options = provider.GetRequiredService<IOptions<LlmOptions>>().Value;
            return new LlmQuotaSettings($"{options.Endpoint?.Authority}/{options.Deployment}", options.Deployment ?? string.Empty,
                new QuotaLimits(options.RequestsPerMinute, options.TokensPerMinute), options.MaxOutputTokens, options.RetryDelay);
        });
        services.TryAddSingleton<ILlmChatClient, AzureOpenAIChatClient>();
        services.TryAddSingleton<OfflineInterpreter>();
        services.TryAddSingleton<LlmInterpreter>();
        services.TryAddSingleton<IInterpreter>(provider => provider.GetRequiredService<IOptions<LlmOptions>>().Value.UsesAzureOpenAI
            ? provider.GetRequiredService<LlmInterpreter>()
            : provider.GetRequiredService<OfflineInterpreter>());
        services.TryAddSingleton<StageTwoOutputReader>();
        services.TryAddSingleton<InterpretationStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPipelineStage, InterpretationStage>());
        return services;
    }
}
