using System.Diagnostics;
using System.Globalization;
using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace InPsyq.Bench;

/// <summary>What one forced FULL run on the queue took, and what its worker processes used.</summary>
internal sealed record QueueRun(int Processes, TimeSpan Wall, RunReport Report, IReadOnlyList<long> PeakBytes, IReadOnlyList<int> ExitCodes, string Work);

/// <summary>
/// Scenario 5: a forced FULL run of the week worked off the queue by N real <c>worker</c> processes. The benchmark
/// process only admits the run (it waits zero seconds, so it works no item) and polls <c>weekly_runs</c> for the final
/// report; the wall time runs from admission to that report.
/// </summary>
internal sealed class QueueScenario(IServiceProvider services, NpgsqlDataSource dataSource, IReadOnlyDictionary<string, string?> workerSettings, IsoWeek week)
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_startWait = TimeSpan.FromSeconds(60);

    public async Task<QueueRun> RunAsync(int processes, CancellationToken cancellationToken)
    {
        var workers = new List<WorkerProcess>();
        try
        {
            for (var i = 0; i < processes; i++)
            {
                workers.Add(WorkerProcess.Start(WithApplicationName(workerSettings, ApplicationName(i))));
            }

            await WaitUntilStartedAsync(workers, cancellationToken);

            var started = Stopwatch.GetTimestamp();
            var admitted = await services.GetRequiredService<WeeklyRunner>().RunAsync(
                new RunRequest(week, null, null, RunMode.Full, DryRun: false, Force: true), RunTrigger.Cli, cancellationToken, waitAtMost: TimeSpan.Zero);
            var runId = admitted.RunningRunId
                ?? throw new InvalidOperationException($"The FULL run did not go to the queue: {admitted.Refusal?.Code ?? admitted.Report?.Status.ToString()}");
            var runs = services.GetRequiredService<WeeklyRunStore>();
            RunReport? report;
            while ((report = await runs.ReportAsync(runId, cancellationToken)) is null)
            {
                if (workers.FirstOrDefault(worker => worker.HasExited) is { } gone)
                {
                    throw new InvalidOperationException($"Worker process {gone.Id} exited during the run:\n{gone.Tail()}");
                }

                await Task.Delay(s_poll, cancellationToken);
            }

            var wall = Stopwatch.GetElapsedTime(started);
            var peaks = workers.Select(worker => worker.PeakResidentBytes()).ToList();
            var exitCodes = new List<int>();
            foreach (var worker in workers)
            {
                exitCodes.Add(await worker.StopAsync());
            }

            return new QueueRun(processes, wall, report, peaks, exitCodes, await WorkSummaryAsync(runId, cancellationToken));
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }
        }
    }

    private static string ApplicationName(int worker) => string.Create(CultureInfo.InvariantCulture, $"bench-worker-{Environment.ProcessId}-{worker}");

    private static Dictionary<string, string?> WithApplicationName(IReadOnlyDictionary<string, string?> settings, string applicationName) =>
        new(settings)
        {
            ["POSTGRES_CONNECTION_STRING"] = new NpgsqlConnectionStringBuilder(settings["POSTGRES_CONNECTION_STRING"]) { ApplicationName = applicationName }.ConnectionString,
        };

    /// <summary>
    /// A worker has started when its connection (named by its application name) shows in <c>pg_stat_activity</c>: it
    /// applied the migrations, and its queue slots start right after.
    /// </summary>
    private async Task WaitUntilStartedAsync(List<WorkerProcess> workers, CancellationToken cancellationToken)
    {
        var names = Enumerable.Range(0, workers.Count).Select(ApplicationName).ToArray();
        var waited = Stopwatch.StartNew();
        while (true)
        {
            await using var command = dataSource.CreateCommand("select count(distinct application_name) from pg_stat_activity where application_name = any($1)");
            command.Parameters.Add(new NpgsqlParameter { Value = names });
            if ((long)(await command.ExecuteScalarAsync(cancellationToken))! == names.Length)
            {
                return;
            }

            if (workers.Any(worker => worker.HasExited) || waited.Elapsed > s_startWait)
            {
                var tails = string.Join("\n---\n", workers.Select(worker => worker.Tail()));
                throw new InvalidOperationException($"The worker processes did not start within {s_startWait.TotalSeconds} s:\n{tails}");
            }

            await Task.Delay(s_poll, cancellationToken);
        }
    }

    /// <summary>
    /// How many items each host worked and how long it was busy with them (the admitting process is not among them; two
    /// items at once count twice), and per stage when its first item
    /// started and its last one finished, in seconds after the run started, with the mean wait of its items on the queue.
    /// </summary>
    private async Task<string> WorkSummaryAsync(Guid runId, CancellationToken cancellationToken)
    {
        var hosts = await ReadLinesAsync("""
            select format('%s %s (stage 3: %s, busy %s s)', host, count(*), count(*) filter (where stage = 3),
                          round(extract(epoch from sum(finished_at - started_at))::numeric, 1))
            from weekly_work_items where run_id = $1 group by host order by host
            """, runId, cancellationToken);
        var stages = await ReadLinesAsync("""
            select format('stage %s: %s items, %s–%s s, queue wait %s s', i.stage, count(*),
                          round(extract(epoch from min(i.started_at) - r.started_at)::numeric, 1),
                          round(extract(epoch from max(i.finished_at) - r.started_at)::numeric, 1),
                          round(extract(epoch from avg(i.started_at - i.created_at))::numeric, 2))
            from weekly_work_items i join weekly_runs r on r.run_id = i.run_id
            where i.run_id = $1
            group by i.stage, r.started_at order by i.stage
            """, runId, cancellationToken);
        return $"items per host {string.Join(", ", hosts)}; {string.Join("; ", stages)}";
    }

    private async Task<List<string>> ReadLinesAsync(string sql, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var lines = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    }
}
