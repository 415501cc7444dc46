namespace InPsyq.Weekly.Runs;

/// <summary>Which stages a run executes.</summary>
public enum RunMode
{
    /// <summary>Stages 1-3.</summary>
    Full,

    /// <summary>Stages 1-2: numbers without text, no LLM cost.</summary>
    PipelineOnly,

    /// <summary>Stage 3 from the stored stage-2 output of that week.</summary>
    InterpretationOnly,
}

/// <summary>What started a run.</summary>
public enum RunTrigger
{
    Timer,
    Http,
    Cli,
}

/// <summary>Wire names of the run enums, shared by the request contract, the report and the audit table.</summary>
public static class RunNames
{
    public static string ToWire(this RunMode mode) => mode switch
    {
        RunMode.Full => "FULL",
        RunMode.PipelineOnly => "PIPELINE_ONLY",
        RunMode.InterpretationOnly => "INTERPRETATION_ONLY",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    public static bool TryParseMode(string? text, out RunMode mode)
    {
        (var known, mode) = text switch
        {
            "FULL" => (true, RunMode.Full),
            "PIPELINE_ONLY" => (true, RunMode.PipelineOnly),
            "INTERPRETATION_ONLY" => (true, RunMode.InterpretationOnly),
            _ => (false, RunMode.Full),
        };
        return known;
    }

    /// <summary>The status as in the report, the audit table and the metrics: lowercase.</summary>
    public static string ToWire(this RunStatus status) => status.ToString().ToLowerInvariant();

    public static string ToWire(this RunTrigger trigger) => trigger switch
    {
        RunTrigger.Timer => "timer",
        RunTrigger.Http => "http",
        RunTrigger.Cli => "cli",
        _ => throw new ArgumentOutOfRangeException(nameof(trigger)),
    };
}
