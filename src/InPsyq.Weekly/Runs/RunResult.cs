using InPsyq.Weekly.Primitives;

namespace InPsyq.Weekly.Runs;

/// <summary>
/// The report of a run that ended (or was planned), the refusal of one that did not start, or the id of one that
/// was admitted and is still being worked (its report comes later: the status URL, the audit row).
/// </summary>
public sealed record RunResult
{
    private RunResult(RunReport? report, Refusal? refusal, Guid? runningRunId = null)
    {
        Report = report;
        Refusal = refusal;
        RunningRunId = runningRunId;
    }

    public RunReport? Report { get; }

    public Refusal? Refusal { get; }

    public Guid? RunningRunId { get; }

    public static RunResult Running(Guid runId) => new(null, null, runId);

    public static RunResult Of(RunReport report) => new(report, null);

    public static RunResult Refused(Refusal error) => new(null, error);
}
