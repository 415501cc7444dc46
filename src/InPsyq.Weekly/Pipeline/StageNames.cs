namespace InPsyq.Weekly.Pipeline;

/// <summary>Wire names and ordering of stage results.</summary>
public static class StageStatuses
{
    public static string ToWire(this PipelineStage stage) => stage switch
    {
        PipelineStage.Rollup => "rollup",
        PipelineStage.Attribution => "attribution",
        PipelineStage.Interpretation => "interpretation",
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };

    public static string ToWire(this StageStatus status) => status switch
    {
        StageStatus.Succeeded => "succeeded",
        StageStatus.Skipped => "skipped",
        StageStatus.Failed => "failed",
        StageStatus.TimedOut => "timed_out",
        StageStatus.NotStarted => "not_started",
        StageStatus.Locked => "locked",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>How bad a status is: a team's status is the worst of its stages (failed > timed_out > locked > not_started > succeeded > skipped).</summary>
    public static int Severity(this StageStatus status) => status switch
    {
        StageStatus.Skipped => 0,
        StageStatus.Succeeded => 1,
        StageStatus.NotStarted => 2,
        StageStatus.Locked => 3,
        StageStatus.TimedOut => 4,
        StageStatus.Failed => 5,
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static bool IsFailure(this StageStatus status) => status is StageStatus.Failed or StageStatus.TimedOut;

    public static bool IsDone(this StageStatus status) => status is StageStatus.Succeeded or StageStatus.Skipped;

    public static IReadOnlyList<PipelineStage> StagesOf(Runs.RunMode mode) => mode switch
    {
        Runs.RunMode.Full => [PipelineStage.Rollup, PipelineStage.Attribution, PipelineStage.Interpretation],
        Runs.RunMode.PipelineOnly => [PipelineStage.Rollup, PipelineStage.Attribution],
        Runs.RunMode.InterpretationOnly => [PipelineStage.Interpretation],
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };
}
