using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;

namespace InPsyq.Bench;

/// <summary>The markdown table printed to the console and the results file with the machine description.</summary>
internal static class Report
{
    public static string Table(IEnumerable<ScenarioResult> results)
    {
        var table = new StringBuilder()
            .AppendLine("| scenario | wall | units | rate | peak memory | reference | ratio | target | met |")
            .AppendLine("|---|---:|---:|---:|---:|---|---:|---|---|");
        foreach (var r in results)
        {
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Scenario} | {r.Wall.TotalSeconds:F2} s | {r.Units:N0} {r.Unit} | {r.Units / Math.Max(r.Wall.TotalSeconds, 1e-9):N0} {r.Unit}/s | {r.PeakBytes / 1024.0 / 1024.0:F0} MB | {r.Reference} | {(r.Ratio is { } ratio ? ratio.ToString("F2", CultureInfo.InvariantCulture) + "×" : "—")} | {r.Target} | {(r.Met ? "yes" : "**no**")} |");
        }

        return table.ToString();
    }

    public static async Task<string> MachineAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? (await File.ReadAllLinesAsync("/proc/cpuinfo", cancellationToken)).FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        await using var command = dataSource.CreateCommand("""
            select version(), current_setting('shared_buffers'), current_setting('work_mem'), current_setting('fsync'),
                   current_setting('synchronous_commit'), current_setting('max_parallel_workers_per_gather')
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return string.Create(CultureInfo.InvariantCulture, $"""
            - machine: `{Environment.MachineName}`, {Environment.ProcessorCount} logical CPUs ({cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}), {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024.0 / 1024 / 1024:F1} GiB memory available to .NET
            - OS: {RuntimeInformation.OSDescription}; runtime: {RuntimeInformation.FrameworkDescription}
            - database: {reader.GetString(0).Split(',')[0]} on loopback; shared_buffers={reader.GetString(1)}, work_mem={reader.GetString(2)}, fsync={reader.GetString(3)}, synchronous_commit={reader.GetString(4)}, max_parallel_workers_per_gather={reader.GetString(5)}
            - blob storage: Azurite on loopback
            - the machine is shared (other builds may run at the same time): numbers vary by ±20 % between runs
            """);
    }
}
