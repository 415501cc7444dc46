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

/// <summary>
/// What started a run, in the vocabulary of the jobs' triggers (<c>schedule | manual | retry</c>): the weekly-run job
/// on its schedule (the Functions timer, also when fired through the Functions admin API, or the standalone
/// scheduler; a retry of such an execution too), the weekly-run job started by a person (the admin job endpoint or
/// <c>run-job weekly-run</c>), the run endpoint, or the CLI's <c>run-weekly</c> and <c>backfill</c>.
/// </summary>
public enum RunTrigger
{
    Schedule,
    Http,
    Cli,
    Manual,
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

    /// <summary>The trigger as in the report, the audit table, the lock metadata, the metrics and the diag filter.</summary>
    public static string ToWire(this RunTrigger trigger) => trigger switch
    {
        RunTrigger.Schedule => "schedule",
        RunTrigger.Http => "http",
        RunTrigger.Cli => "cli",
        RunTrigger.Manual => "manual",
        _ => throw new ArgumentOutOfRangeException(nameof(trigger)),
    };

    /// <summary>The trigger of a wire name (<see cref="TriggerNames"/>).</summary>
    public static RunTrigger TriggerOf(string wire) => Enum.GetValues<RunTrigger>().Single(trigger => trigger.ToWire() == wire);

    /// <summary>Every trigger's wire name.</summary>
    public static IReadOnlyList<string> TriggerNames { get; } = [.. Enum.GetValues<RunTrigger>().Select(ToWire)];
}
