namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>
/// The heavy reliability tests (child host processes, private clusters, slow fake LLMs): one after another in this
/// collection, which runs alongside the other collections, so the 2-core machine is not flooded.
/// </summary>
[CollectionDefinition(Name)]
public static class ReliabilityTests
{
    public const string Name = "Reliability";
}
