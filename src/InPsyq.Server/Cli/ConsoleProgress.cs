using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace InPsyq.Server.Cli;

/// <summary>
/// Live progress of a batch of items (the weeks of a backfill; the teams of a distributed run), drawn by
/// Spectre.Console. In a terminal: a bar with the items done, the rate and the ETA, under one line per finished item.
/// When the output is not a terminal (scripts, CI, tests) Spectre prints plain percentage milestones instead of the
/// bar, between the same item lines. A summary line ends the batch.
/// </summary>
internal sealed class ConsoleProgress(IAnsiConsole console, TimeProvider time)
{
    /// <summary>How far back the rate (and so the ETA) looks: long enough for items that take minutes each.</summary>
    private static readonly TimeSpan s_rateWindow = TimeSpan.FromMinutes(10);

    /// <param name="unit">What an item is, plural (<c>weeks</c>, <c>teams</c>).</param>
    public async Task<T> RunAsync<T>(string description, int total, string unit, Func<BatchProgress, Task<T>> work)
    {
        var progress = new Progress(console, time).Columns(
            new TaskDescriptionColumn(),
            new ProgressBarColumn(),
            new DoneColumn(),
            new PercentageColumn(),
            new RateColumn(unit),
            new RemainingTimeColumn(),
            new SpinnerColumn());
        ProgressTask? task = null;
        var result = await progress.StartAsync(context =>
        {
            task = context.AddTask(description, maxValue: total);
            task.MaxSamplingAge = s_rateWindow;
            return work(new BatchProgress(console, task));
        });

        var elapsed = task!.ElapsedTime ?? TimeSpan.Zero;
        var rate = elapsed > TimeSpan.Zero ? string.Create(CultureInfo.InvariantCulture, $" ({task.Value / elapsed.TotalSeconds:0.##} {unit}/s)") : string.Empty;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{description}: {task.Value}/{task.MaxValue} {unit} in {elapsed.TotalSeconds:0.#} s{rate}"));
        return result;
    }

    private sealed class DoneColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(string.Create(CultureInfo.InvariantCulture, $"{task.Value}/{task.MaxValue}"));
    }

    private sealed class RateColumn(string unit) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.Speed is { } speed ? string.Create(CultureInfo.InvariantCulture, $"{speed:0.##} {unit}/s") : $"- {unit}/s");
    }
}

/// <summary>A running batch: how many of its items are done, and the line that tells how the latest one went.</summary>
internal sealed class BatchProgress(IAnsiConsole console, ProgressTask task)
{
    public void Report(int done, string line)
    {
        task.Value = done;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{done}/{task.MaxValue} {line}"));
    }

    /// <summary>Moves the bar without a line; a total learnt late (a run's teams, once it is planned) replaces the first.</summary>
    public void Advance(int done, int total)
    {
        task.MaxValue = Math.Max(total, 1);
        task.Value = done;
    }
}
