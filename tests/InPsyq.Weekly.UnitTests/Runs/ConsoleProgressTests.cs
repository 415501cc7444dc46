using System.Text.RegularExpressions;
using InPsyq.Server.Cli;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using Microsoft.Extensions.Time.Testing;
using Spectre.Console;

namespace InPsyq.Weekly.UnitTests.Runs;

/// <summary>
/// The CLI's live progress (a backfill's weeks): readable lines when the output is not a terminal, a live bar with the
/// rate and ETA when it is, and a summary line either way. Two seconds pass per item on a fake clock.
/// </summary>
public sealed class ConsoleProgressTests : IDisposable
{
    private static readonly string[] s_items = ["2026-W01 completed", "2026-W02 partial", "2026-W03 completed"];

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero));
    private readonly StringWriter _output = new();

    public void Dispose() => _output.Dispose();

    [Fact]
    public async Task Redirected_output_gets_one_plain_line_per_item_and_a_summary()
    {
        var result = await RunAsync(interactive: false);

        var lines = _output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(42, result);
        Assert.Equal(["1/3 2026-W01 completed", "2/3 2026-W02 partial", "3/3 2026-W03 completed"], lines.Where(line => line.Contains("2026-W", StringComparison.Ordinal)));
        Assert.Equal("backfill: 3/3 weeks in 6 s (0.5 weeks/s)", lines[^1]);
        Assert.DoesNotContain('\u001b', _output.ToString());
    }

    [Fact]
    public async Task A_terminal_gets_a_live_bar_with_items_done_and_rate_under_the_same_lines()
    {
        await RunAsync(interactive: true);

        var text = _output.ToString();
        Assert.Contains('\u001b', text);
        Assert.All(s_items.Select((item, index) => $"{index + 1}/3 {item}"), line => Assert.Contains(line, text, StringComparison.Ordinal));
        // The final bar: every item done, at the rate since the start, nothing left.
        var plain = Regex.Replace(text, @"\u001b\[[0-9;?]*[A-Za-z]", string.Empty);
        Assert.Matches(@"backfill \S+ 3/3 100% 0\.5 weeks/s 00:00:00", plain);
        Assert.EndsWith("backfill: 3/3 weeks in 6 s (0.5 weeks/s)", text.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backfill_line_tells_the_weeks_refusal_on_one_line_however_long()
    {
        var message = "No team in scope has stage-2 output for week 2026-11-23; run PIPELINE_ONLY or FULL for that week first. " + new string('x', 200);
        await new ConsoleProgress(Console(interactive: false), _time).RunAsync("backfill", 2, "weeks", batch =>
        {
            new BackfillProgress(batch).Report((1, 2, RunResult.Refused(Refusal.Invalid("PIPELINE_OUTPUT_MISSING", message, null))));
            return Task.FromResult(0);
        });

        var lines = _output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains($"1/2 PIPELINE_OUTPUT_MISSING: {message}", lines);
        Assert.Equal("backfill: 1/2 weeks in 0 s", lines[^1]);
    }

    private Task<int> RunAsync(bool interactive) =>
        new ConsoleProgress(Console(interactive), _time).RunAsync("backfill", s_items.Length, "weeks", batch =>
        {
            for (var done = 1; done <= s_items.Length; done++)
            {
                _time.Advance(TimeSpan.FromSeconds(2));
                batch.Report(done, s_items[done - 1]);
            }

            return Task.FromResult(42);
        });

    /// <summary>The CLI's console on redirected output, or one that behaves as a terminal would.</summary>
    private IAnsiConsole Console(bool interactive) => interactive
        ? AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            Interactive = InteractionSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Out = new AnsiConsoleOutput(_output),
        })
        : CliConsole.Create(_output, redirected: true);
}
