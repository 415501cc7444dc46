namespace InPsyq.Weekly.Runs;

/// <summary>Either the report of a run that started (or was planned), or the refusal of one that did not.</summary>
public sealed record RunResult
{
    private RunResult(RunReport? report, ApiError? refusal)
    {
        Report = report;
        Refusal = refusal;
    }

    public RunReport? Report { get; }

    public ApiError? Refusal { get; }

    public int HttpStatus => Refusal?.Status ?? Report!.HttpStatus;

    public static RunResult Of(RunReport report) => new(report, null);

    public static RunResult Refused(ApiError error) => new(null, error);
}
