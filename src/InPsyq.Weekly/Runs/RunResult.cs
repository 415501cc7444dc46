using InPsyq.Weekly.Primitives;

namespace InPsyq.Weekly.Runs;

/// <summary>Either the report of a run that started (or was planned), or the refusal of one that did not.</summary>
public sealed record RunResult
{
    private RunResult(RunReport? report, Refusal? refusal)
    {
        Report = report;
        Refusal = refusal;
    }

    public RunReport? Report { get; }

    public Refusal? Refusal { get; }

    public static RunResult Of(RunReport report) => new(report, null);

    public static RunResult Refused(Refusal error) => new(null, error);
}
