namespace InPsyq.Weekly.Tests.LlmQuota;

/// <summary>The governor's tests measure rates and pauses in real time: they run apart from the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LlmQuotaTests
{
    public const string Name = "LLM quota governor";
}
