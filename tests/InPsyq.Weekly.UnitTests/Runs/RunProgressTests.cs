using System.Text.RegularExpressions;
using InPsyq.Server.Cli;
using InPsyq.Weekly.WorkItems;
using Microsoft.Extensions.Time.Testing;
using Spectre.Console;

namespace InPsyq.Weekly.UnitTests.Runs;

/// <summary>
/// run-weekly's live progress: the run's final teams out of its teams, learnt once the run is planned, from reports of
/// several workers that may arrive out of order.
/// </summary>
public sealed class RunProgressTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero));
    private readonly StringWriter _output = new();

    public void Dispose() => _output.Dispose();

    [Fact]
    public async Task The_bar_takes_the_runs_team_total_and_never_moves_back_on_a_late_report()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            Interactive = InteractionSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Out = new AnsiConsoleOutput(_output),
        });

        await new ConsoleProgress(console, _time).RunAsync("run", 1, "teams", batch =>
        {
            var progress = new RunProgress(batch);
            progress.Report(new WorkProgress(ItemsTotal: 4, ItemsFinal: 0, TeamsTotal: 40, TeamsFinal: 0));
            _time.Advance(TimeSpan.FromSeconds(10));
            progress.Report(new WorkProgress(ItemsTotal: 8, ItemsFinal: 5, TeamsTotal: 40, TeamsFinal: 20));
            // A worker's report read before the one above.
            progress.Report(new WorkProgress(ItemsTotal: 8, ItemsFinal: 4, TeamsTotal: 40, TeamsFinal: 10));
            return Task.FromResult(0);
        });

        var plain = Regex.Replace(_output.ToString(), @"\u001b\[[0-9;?]*[A-Za-z]", string.Empty);
        Assert.Matches(@"run \S+\s+20/40\s+50%\s+2 teams/s", plain);
        Assert.DoesNotMatch(@"10/40", plain);
        Assert.EndsWith("run: 20/40 teams in 10 s (2 teams/s)", _output.ToString().TrimEnd(), StringComparison.Ordinal);
    }
}
