using InPsyq.Weekly.WorkItems;

namespace InPsyq.Server.Cli;

/// <summary>
/// A distributed run's progress on the console: the run's teams that are final, whichever host worked them. Reports
/// come from several workers and may arrive out of order, so the bar never moves back.
/// </summary>
internal sealed class RunProgress(BatchProgress batch) : IProgress<WorkProgress>
{
    private readonly Lock _gate = new();
    private int _done;
    private int _total;

    public void Report(WorkProgress value)
    {
        lock (_gate)
        {
            _done = Math.Max(_done, value.TeamsFinal);
            _total = Math.Max(_total, value.TeamsTotal);
            batch.Advance(_done, _total);
        }
    }
}
