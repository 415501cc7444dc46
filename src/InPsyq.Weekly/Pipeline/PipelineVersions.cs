namespace InPsyq.Weekly.Pipeline;

/// <summary>
/// Versions that are part of every input hash: bumping one invalidates the stored outputs it covers, so the next
/// run recomputes them. Bump <see cref="Compute"/> when any formula of stages 1-2 changes, <see cref="Prompt"/> when
/// the interpretation prompt or the offline templates change.
/// </summary>
public static class PipelineVersions
{
    public const string Compute = "compute-v1";
    public const string Prompt = "prompt-v1";
    public const string AttributionSchema = "attribution.v1";
    public const string InterpretationSchema = "interpretation.v1";
}
