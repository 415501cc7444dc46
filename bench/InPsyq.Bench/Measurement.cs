using System.Diagnostics;
using System.Globalization;

namespace InPsyq.Bench;

/// <summary>One row of the result table. <paramref name="Reference"/> is the floor or ideal the target is a ratio to.</summary>
internal sealed record ScenarioResult(
    string Scenario,
    TimeSpan Wall,
    long Units,
    string Unit,
    long PeakBytes,
    string Reference,
    double? Ratio,
    string Target,
    bool Met,
    string Notes);

/// <summary>What a measured piece of work returns: how many units it processed.</summary>
internal readonly record struct Measured(TimeSpan Wall, long Units, long PeakBytes)
{
    public double PerSecond => Units / Math.Max(Wall.TotalSeconds, 1e-9);
}

/// <summary>Times a piece of work and samples this process's working set while it runs (peak over the work only).</summary>
internal static class Measurement
{
    private static readonly TimeSpan s_sampleEvery = TimeSpan.FromMilliseconds(20);

    public static async Task<Measured> RunAsync(Func<CancellationToken, Task<long>> work, CancellationToken cancellationToken)
    {
        using var process = Process.GetCurrentProcess();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var peak = Sample(process);
        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(s_sampleEvery);
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    peak = Math.Max(peak, Sample(process));
                }
            }
            catch (OperationCanceledException)
            {
                // The work is done.
            }
        }, CancellationToken.None);

        var started = Stopwatch.GetTimestamp();
        var units = await work(cancellationToken);
        var wall = Stopwatch.GetElapsedTime(started);
        await stop.CancelAsync();
        await sampler;
        return new Measured(wall, units, Math.Max(peak, Sample(process)));
    }

    /// <summary>
    /// The median repetition by wall time (the lower middle one of an even count), with the highest peak memory of all:
    /// a shared machine makes single runs move by ±20 %, the median of interleaved repetitions much less.
    /// </summary>
    public static Measured Median(IReadOnlyList<Measured> repetitions)
    {
        var median = repetitions.OrderBy(repetition => repetition.Wall).ElementAt((repetitions.Count - 1) / 2);
        return median with { PeakBytes = repetitions.Max(repetition => repetition.PeakBytes) };
    }

    /// <summary>The range of wall times, e.g. "0.81–0.87 s".</summary>
    public static string Range(IReadOnlyList<Measured> repetitions) => string.Create(CultureInfo.InvariantCulture,
        $"{repetitions.Min(repetition => repetition.Wall).TotalSeconds:F2}–{repetitions.Max(repetition => repetition.Wall).TotalSeconds:F2} s");

    /// <summary>Nearest-rank percentile of durations in milliseconds.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static long Sample(Process process)
    {
        process.Refresh();
        return process.WorkingSet64;
    }
}
