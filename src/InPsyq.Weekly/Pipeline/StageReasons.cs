namespace InPsyq.Weekly.Pipeline;

/// <summary>The machine-readable reasons of skipped, planned or not-started team stages, shared by every stage.</summary>
public static class StageReasons
{
    /// <summary>The stored output's input hash equals the new one: nothing to do.</summary>
    public const string HashMatch = "hash_match";

    /// <summary>The team has no responses (or no stage-1 row) this week.</summary>
    public const string NoData = "no_data";

    /// <summary>Fewer respondents than the org's anonymity threshold.</summary>
    public const string Suppressed = "suppressed";

    /// <summary>INTERPRETATION_ONLY without stored stage-2 output for the team and week.</summary>
    public const string MissingPipelineOutput = "missing_pipeline_output";

    /// <summary>INTERPRETATION_ONLY interpreted stored stage-2 output whose stage-1 answers changed since.</summary>
    public const string StalePipelineOutput = "stale_pipeline_output";

    /// <summary>Dry run: the inputs changed since the stored output.</summary>
    public const string InputChanged = "input_changed";

    /// <summary>Dry run: an earlier stage this stage depends on will run first.</summary>
    public const string UpstreamWillRun = "upstream_will_run";

    /// <summary>
    /// Never recorded: the work item's time budget was spent before the team started, so the team goes to a new item
    /// of the same stage (a queue-triggered function must end before the host's <c>functionTimeout</c>).
    /// </summary>
    public const string ItemBudget = "item_budget";

    /// <summary>The request said <c>force</c>.</summary>
    public const string Forced = "forced";

    /// <summary>An earlier stage of this team failed, timed out or did not run.</summary>
    public const string UpstreamFailed = "upstream_failed";

    /// <summary>No implementation of the stage is registered in this host.</summary>
    public const string StageUnavailable = "stage_unavailable";
}
