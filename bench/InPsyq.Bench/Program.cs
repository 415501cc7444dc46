using System.Globalization;
using InPsyq.Bench;
using InPsyq.FakeOpenAI;
using InPsyq.Weekly.Hosting;
using InPsyq.Weekly.Rollup;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

// bench/run.sh runs this; see docs/performance.md. Options: --orgs --teams --respondents --items --weeks --parallelism
// --llm-latency-ms --lock-cycles --repeat --queue-latency-ms --queue-processes 1,2,3 --queue-workers --queue-llm-concurrency
// --quota-rpm --quota-tokens-per-call --quota-processes --quota-concurrency --item-teams --scenarios 1,2,3,4,5,6 --out DIR.
var options = Options.Parse(args);
var postgres = Environment.GetEnvironmentVariable("POSTGRES_CONNECTION_STRING") ?? throw new InvalidOperationException("POSTGRES_CONNECTION_STRING is not set (source the env file of scripts/services.sh).");
var blob = Environment.GetEnvironmentVariable("BLOB_CONNECTION_STRING") ?? throw new InvalidOperationException("BLOB_CONNECTION_STRING is not set.");
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancellation.Cancel(); };
var ct = cancellation.Token;

var shape = new BenchTenantShape(options.Orgs, options.Teams, options.Respondents, options.Items, options.Weeks);
var week = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-1);
var latency = TimeSpan.FromMilliseconds(options.LlmLatencyMs);
await using var database = await BenchDatabase.CreateAsync(postgres, ct);
await using var llm = await FakeOpenAIServer.StartAsync();
llm.Default = llm.Default with { Delay = latency };
var queueLatency = TimeSpan.FromMilliseconds(options.QueueLatencyMs);
await using var queueLlm = await FakeOpenAIServer.StartAsync();
queueLlm.Default = queueLlm.Default with { Delay = queueLatency };
var suffix = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
var settings = new Dictionary<string, string?>
{
    ["POSTGRES_CONNECTION_STRING"] = database.ConnectionString,
    ["POSTGRES_MIGRATOR_CONNECTION_STRING"] = database.ConnectionString,
    ["BLOB_CONNECTION_STRING"] = blob,
    ["BLOB_LOCK_CONTAINER"] = $"bench-locks-{suffix}",
    ["BLOB_ATTRIBUTION_CONTAINER"] = $"bench-attribution-{suffix}",
    ["WEEKLY_WORK_QUEUE"] = $"bench-work-{suffix}",
    ["MIGRATE_SOURCE_TABLES"] = "true",
    ["WEEKLY_TEAM_PARALLELISM"] = options.Parallelism.ToString(CultureInfo.InvariantCulture),
    ["WEEKLY_TEAM_TIMEOUT_SECONDS"] = "60",
    ["AZURE_OPENAI_ENDPOINT"] = llm.Endpoint.ToString(),
    ["AZURE_OPENAI_DEPLOYMENT"] = QuotaScenario.Deployment,
    ["AZURE_OPENAI_API_KEY"] = "bench-key-not-a-secret",
    ["LLM_MAX_CONCURRENCY"] = options.Parallelism.ToString(CultureInfo.InvariantCulture),
};
if (options.ItemTeams is { } itemTeams)
{
    settings["WEEKLY_WORK_ITEM_TEAMS"] = itemTeams.ToString(CultureInfo.InvariantCulture);
}

var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
await using var services = new ServiceCollection()
    .AddLogging(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning))
    .AddSingleton<IConfiguration>(configuration)
    .AddInPsyqWeekly(configuration)
    .BuildServiceProvider();
var blobs = services.GetRequiredService<BlobStore>();
var queues = services.GetRequiredService<WorkQueueClient>();
try
{
    await services.GetRequiredService<StorageInitializer>().InitializeAsync(ct);
    var dataSource = services.GetRequiredService<NpgsqlDataSource>();

    Console.WriteLine($"Loading {shape} for {week.Label} …");
    var load = await Measurement.RunAsync(token => BenchTenant.LoadAsync(dataSource, shape, week, token), ct);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Loaded in {load.Wall.TotalSeconds:F1} s ({load.PerSecond:N0} rows/s, COPY + vacuum analyze)."));

    var results = new List<ScenarioResult>();
    var rollup = new RollupScenarios(services, dataSource, week, options.Parallelism);
    var responses = shape.ResponsesPerWeek;
    var orgs = await services.GetRequiredService<TenantDirectory>().LoadScopeAsync(null, null, ct);

    if (options.Runs(1) || options.Runs(2))
    {
        // 1 and 2. Stage 1 writing the week, then its unchanged re-run, each right before its floor statement. One unmeasured
        // round first (the runner's code is JIT-compiled, plans and pages are cached), then --repeat measured rounds, each
        // starting from a week without aggregates; the table shows the median round of each, the notes the range.
        await rollup.RunFloorAsync(RollupScenarios.MeansFloorSql, ct);
        await rollup.RunFloorAsync(RollupScenarios.HashFloorSql, ct);
        await rollup.RunStageAsync(ct);
        await rollup.RunStageAsync(ct);
        List<Measured> firsts = [], meansFloors = [], reruns = [], hashFloors = [];
        Dictionary<string, int> firstOutcomes = [], rerunOutcomes = [];
        long rerunWrites = 0;
        for (var round = 0; round < options.Repeat; round++)
        {
            await rollup.ResetAsync(ct);
            firsts.Add(await Measurement.RunAsync(async token => { (_, firstOutcomes) = await rollup.RunStageAsync(token); return responses; }, ct));
            meansFloors.Add(await Measurement.RunAsync(async token => { await rollup.RunFloorAsync(RollupScenarios.MeansFloorSql, token); return responses; }, ct));
            var rerunId = Guid.Empty;
            reruns.Add(await Measurement.RunAsync(async token => { (rerunId, rerunOutcomes) = await rollup.RunStageAsync(token); return responses; }, ct));
            hashFloors.Add(await Measurement.RunAsync(async token => { await rollup.RunFloorAsync(RollupScenarios.HashFloorSql, token); return responses; }, ct));
            rerunWrites += await rollup.RowsWrittenByAsync(rerunId, ct);
        }

        // Stage 1 owes the input hash as well as the statistics: its ratio to both floors together, for the notes.
        var bothFloors = Measurement.Median(meansFloors).Wall + Measurement.Median(hashFloors).Wall;
        var toBothFloors = string.Create(CultureInfo.InvariantCulture,
            $"{Measurement.Median(firsts).Wall / bothFloors:F2}× the means + hash floors ({bothFloors.TotalSeconds:F2} s)");
        results.Add(Result("1. stage 1, one week (writes)", firsts, "responses", meansFloors, "bare SQL team × factor means", 1.5, $"{Describe(firstOutcomes)}; {toBothFloors}"));
        var rerunResult = Result("2. stage 1 unchanged re-run", reruns, "responses", hashFloors, "bare SQL per-team sha256", 1.2, $"{Describe(rerunOutcomes)}; rows written: {rerunWrites}");
        results.Add(rerunResult with { Met = rerunResult.Met && rerunWrites == 0 });
    }

    if (options.Runs(3))
    {
        // 3. A forced FULL run (stages 1-3 for every team) against the fake LLM, worked off the queue by this process alone
        // (WEEKLY_WORKERS items at once, teams in a window of the parallelism, at most LLM_MAX_CONCURRENCY = parallelism calls
        // at once; every org's items are on the queue together), so the ideal is ⌈teams / parallelism⌉ × latency.
        var teamsTotal = orgs.Sum(org => org.Teams.Count);
        var ideal = latency * Math.Ceiling((double)teamsTotal / options.Parallelism);
        RunReport? full = null;
        var fullRun = await Measurement.RunAsync(async token =>
        {
            var result = await services.GetRequiredService<WeeklyRunner>().RunAsync(new RunRequest(week, null, null, RunMode.Full, DryRun: false, Force: true), RunTrigger.Cli, token);
            full = result.Report ?? throw new InvalidOperationException($"The FULL run was refused: {result.Refusal}");
            return full.Counts.TeamsTotal;
        }, ct);
        var fullRatio = fullRun.Wall / ideal;
        results.Add(new ScenarioResult("3. FULL run, fake LLM", fullRun.Wall, fullRun.Units, "teams", fullRun.PeakBytes,
            string.Create(CultureInfo.InvariantCulture, $"ideal {ideal.TotalSeconds:F1} s ({options.LlmLatencyMs} ms × ⌈teams/{options.Parallelism}⌉)"), fullRatio, "≤ 1.2× ideal, < 500 MB",
            fullRatio <= 1.2 && fullRun.PeakBytes < Mb500 && full!.Status == RunStatus.Completed,
            string.Create(CultureInfo.InvariantCulture, $"status {full!.Status}; aggregates {full.Counts.AggregatesWritten}, attributions {full.Counts.AttributionsWritten}, interpretations {full.Counts.InterpretationsWritten} written, {full.Counts.InterpretationsFailed} failed; server duration {full.DurationMs} ms")));
    }

    if (options.Runs(4))
    {
        // 4. Lock acquire + release latency against Azurite.
        (List<double> Acquire, List<double> Release) latencies = ([], []);
        var locks = await Measurement.RunAsync(async token => { latencies = await LockScenario.RunAsync(services, week, options.LockCycles, token); return options.LockCycles; }, ct);
        var acquireP99 = Measurement.Percentile(latencies.Acquire, 99);
        var releaseP99 = Measurement.Percentile(latencies.Release, 99);
        results.Add(new ScenarioResult("4. lock acquire/release (Azurite)", locks.Wall, locks.Units, "cycles", locks.PeakBytes,
            "—", null, "p99 < 50 ms, < 500 MB", acquireP99 < 50 && releaseP99 < 50 && locks.PeakBytes < Mb500,
            string.Create(CultureInfo.InvariantCulture,
                $"acquire p50 {Measurement.Percentile(latencies.Acquire, 50):F1} ms, p99 {acquireP99:F1} ms; release p50 {Measurement.Percentile(latencies.Release, 50):F1} ms, p99 {releaseP99:F1} ms")));
    }

    if (options.Runs(5))
    {
        // 5. The forced FULL run again, with a fake LLM of --queue-latency-ms, worked off the queue by 1, 2 and 3 real
        // worker processes; this process admits the run and works no item. Each process keeps its own limits (WEEKLY_WORKERS
        // items at once, teams in a window of the parallelism, at most LLM_MAX_CONCURRENCY calls at once): the work waits
        // on the LLM, so processes add LLM concurrency, not CPU.
        var perProcess = Math.Min(options.QueueLlmConcurrency, options.QueueWorkers * options.Parallelism);
        var workerSettings = new Dictionary<string, string?>(settings)
        {
            ["AZURE_OPENAI_ENDPOINT"] = queueLlm.Endpoint.ToString(),
            ["WEEKLY_WORKERS"] = options.QueueWorkers.ToString(CultureInfo.InvariantCulture),
            ["LLM_MAX_CONCURRENCY"] = options.QueueLlmConcurrency.ToString(CultureInfo.InvariantCulture),
        };
        var queue = new QueueScenario(services, dataSource, workerSettings, week);
        QueueRun? single = null;
        foreach (var (processes, index) in options.QueueProcesses.Select((processes, index) => (processes, index)))
        {
            Console.WriteLine($"Scenario 5: {processes} worker process(es) …");
            var run = await queue.RunAsync(processes, ct);
            single ??= processes == 1 ? run : null;
            var teams = run.Report.Counts.TeamsTotal;
            var queueIdeal = queueLatency * Math.Ceiling((double)teams / (processes * perProcess));
            double? speedup = single is null ? null : single.Wall / run.Wall;
            var peak = run.PeakBytes.Max();
            var met = run.Report.Status == RunStatus.Completed && peak < Mb300 && run.ExitCodes.All(code => code == 0) && (processes != 3 || speedup >= 2.5);
            results.Add(new ScenarioResult(
                string.Create(CultureInfo.InvariantCulture, $"5{(char)('a' + index)}. FULL on the queue, {processes} process{(processes == 1 ? "" : "es")}"),
                run.Wall, teams, "teams", peak,
                single is null ? "—" : string.Create(CultureInfo.InvariantCulture, $"1 process: {teams / single.Wall.TotalSeconds:F2} teams/s"),
                speedup, processes == 3 ? "≥ 2.5× 1 process, < 300 MB per process" : "< 300 MB per process", met,
                string.Create(CultureInfo.InvariantCulture,
                    $"status {run.Report.Status}; ideal {queueIdeal.TotalSeconds:F1} s ({options.QueueLatencyMs} ms × ⌈teams / ({processes} × {perProcess} LLM calls)⌉); peak RSS per process {string.Join(" / ", run.PeakBytes.Select(bytes => $"{bytes / 1024.0 / 1024:F0} MB"))}; exit codes on SIGTERM {string.Join(" / ", run.ExitCodes)}; {run.Work}; interpretations {run.Report.Counts.InterpretationsWritten} written, {run.Report.Counts.InterpretationsFailed} failed; server duration {run.Report.DurationMs} ms")));
        }
    }

    var tokensPerMinute = options.QuotaRpm * options.QuotaTokensPerCall;
    if (options.Runs(6))
    {
        // 6. The LLM quota: the forced FULL run on the queue by --quota-processes worker processes, each with --quota-concurrency
        // teams and LLM calls at once (together well above what the quota admits), against a fake deployment of
        // --queue-latency-ms that enforces --quota-rpm requests and --quota-rpm × --quota-tokens-per-call tokens a minute.
        // With the governor first, then the same run without it (every process on its own) for comparison.
        var concurrency = options.QuotaConcurrency.ToString(CultureInfo.InvariantCulture);
        var quotaSettings = new Dictionary<string, string?>(settings)
        {
            ["WEEKLY_WORKERS"] = options.QueueWorkers.ToString(CultureInfo.InvariantCulture),
            ["WEEKLY_TEAM_PARALLELISM"] = concurrency,
            ["LLM_MAX_CONCURRENCY"] = concurrency,
        };
        var quotaScenario = new QuotaScenario(services, dataSource, quotaSettings, week);
        foreach (var governed in (bool[])[true, false])
        {
            Console.WriteLine($"Scenario 6: {options.QuotaProcesses} worker processes {(governed ? "with" : "without")} the quota governor …");
            var quota = await quotaScenario.RunAsync(governed, options.QuotaProcesses, options.QuotaRpm, tokensPerMinute, queueLatency, ct);
            var report = quota.Run.Report;
            var ratio = quota.Run.Wall / quota.Floor;
            var refusedShare = (double)quota.Refused / Math.Max(1, quota.Calls + quota.Refused);
            var met = report.Status == RunStatus.Completed && report.Counts.InterpretationsFailed == 0 && ratio <= 1.15 && refusedShare <= 0.01;
            results.Add(new ScenarioResult(
                $"6{(governed ? 'a' : 'b')}. quota, {options.QuotaProcesses} processes, {(governed ? "governor" : "no governor")}",
                quota.Run.Wall, report.Counts.TeamsTotal, "teams", quota.Run.PeakBytes.Max(),
                string.Create(CultureInfo.InvariantCulture, $"quota floor {quota.Floor.TotalSeconds:F1} s"), ratio,
                governed ? "≤ 1.15× floor, 0 failed, 429s ≤ 1 % of calls" : "for comparison", governed ? met : true,
                string.Create(CultureInfo.InvariantCulture,
                    $"status {report.Status}; interpretations {report.Counts.InterpretationsWritten} written, {report.Counts.InterpretationsFailed} failed; {quota.Calls} calls admitted by the fake ({quota.Tokens / Math.Max(1, quota.Calls):N0} tokens each, {quota.Tokens:N0} in all), {quota.Refused} refused with 429 ({refusedShare:P1}); busiest 10 s at {quota.PeakMinute}; {quota.Run.Work}; server duration {report.DurationMs} ms")));
        }
    }

    var table = Report.Table(results);
    Console.WriteLine();
    Console.WriteLine(table);
    foreach (var result in results)
    {
        Console.WriteLine($"- {result.Scenario}: {result.Notes}");
    }

    var team = orgs[0].Teams[0].TeamId;
    var explain = new Dictionary<string, string>
    {
        ["Stage 1, one unchanged team (RollupQuery, as prepared per team: hash only)"] = await rollup.ExplainAsync(RollupQuery.Sql, [team, week.Monday, 5, InPsyq.Weekly.Pipeline.PipelineVersions.Compute, true, false], ct),
        ["Stage 1, one team forced (RollupQuery: hash and statistics)"] = await rollup.ExplainAsync(RollupQuery.Sql, [team, week.Monday, 5, InPsyq.Weekly.Pipeline.PipelineVersions.Compute, true, true], ct),
        ["Floor of scenario 1 (whole week)"] = await rollup.ExplainAsync(RollupScenarios.MeansFloorSql, [week.Monday], ct),
        ["Floor of scenario 2 (whole week)"] = await rollup.ExplainAsync(RollupScenarios.HashFloorSql, [week.Monday], ct),
    };
    var machine = await Report.MachineAsync(dataSource, ct);
    var path = Path.Combine(options.Out, $"{DateTime.UtcNow:yyyy-MM-dd}-{Environment.MachineName}.md");
    Directory.CreateDirectory(options.Out);
    await File.WriteAllTextAsync(path, string.Create(CultureInfo.InvariantCulture, $"""
        # Benchmark results {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC

        Command: `bash bench/run.sh` (see docs/performance.md). Tenant: {shape}, week {week.Label}; loaded in {load.Wall.TotalSeconds:F1} s.
        Scenarios {string.Join(", ", options.Scenarios.Order())}. Parallelism {options.Parallelism}, fake LLM latency {options.LlmLatencyMs} ms, {options.LockCycles} lock cycles, scenarios 1–2: median of {options.Repeat} rounds after one warm-up round.
        Scenario 5: fake LLM latency {options.QueueLatencyMs} ms, no quota; {string.Join(", ", options.QueueProcesses)} worker processes, each WEEKLY_WORKERS {options.QueueWorkers}, WEEKLY_TEAM_PARALLELISM {options.Parallelism}, LLM_MAX_CONCURRENCY {options.QueueLlmConcurrency}.
        Scenario 6: fake LLM latency {options.QueueLatencyMs} ms, quota {options.QuotaRpm:N0} requests/min and {tokensPerMinute:N0} tokens/min ({options.QuotaTokensPerCall:N0} per call); {options.QuotaProcesses} worker processes, each WEEKLY_WORKERS {options.QueueWorkers}, WEEKLY_TEAM_PARALLELISM and LLM_MAX_CONCURRENCY {options.QuotaConcurrency}; load average at the end {LoadAverage()}.

        {machine}

        {table}
        {string.Join('\n', results.Select(result => $"- {result.Scenario}: {result.Notes}"))}

        ## Query plans (EXPLAIN ANALYZE, BUFFERS; timing off)

        {string.Join("\n\n", explain.Select(plan => $"### {plan.Key}\n\n```\n{plan.Value}\n```"))}

        """), ct);
    Console.WriteLine($"Results written to {path}");
    return results.All(result => result.Met) ? 0 : 2;
}
finally
{
    await blobs.Locks.DeleteIfExistsAsync(cancellationToken: CancellationToken.None);
    await blobs.Attribution.DeleteIfExistsAsync(cancellationToken: CancellationToken.None);
    await queues.Queue.DeleteIfExistsAsync(CancellationToken.None);
    await queues.Next.DeleteIfExistsAsync(CancellationToken.None);
    await queues.Poison.DeleteIfExistsAsync(CancellationToken.None);
}

static ScenarioResult Result(string name, List<Measured> rounds, string unit, List<Measured> floorRounds, string floorName, double target, string notes)
{
    var (ours, floor) = (Measurement.Median(rounds), Measurement.Median(floorRounds));
    var ratio = ours.Wall / floor.Wall;
    return new ScenarioResult(name, ours.Wall, ours.Units, unit, ours.PeakBytes,
        string.Create(CultureInfo.InvariantCulture, $"{floorName}: {floor.Wall.TotalSeconds:F2} s"), ratio,
        string.Create(CultureInfo.InvariantCulture, $"≤ {target:F1}× floor, < 500 MB"), ratio <= target && ours.PeakBytes < Mb500,
        $"{notes}; median of {rounds.Count} rounds: {Measurement.Range(rounds)}, floor {Measurement.Range(floorRounds)}");
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

static string Describe(Dictionary<string, int> outcomes) =>
    string.Join(", ", outcomes.OrderBy(outcome => outcome.Key, StringComparer.Ordinal).Select(outcome => $"{outcome.Value} {outcome.Key}"));

/// <summary>The program's constants and command-line options.</summary>
internal static partial class Program
{
    private const long Mb500 = 500L * 1024 * 1024;
    private const long Mb300 = 300L * 1024 * 1024;
}

/// <summary>Command-line options: <c>--name value</c> pairs, all with defaults (the issue's bench tenant).</summary>
internal sealed record Options(
    int Orgs, int Teams, int Respondents, int Items, int Weeks, int Parallelism, int LlmLatencyMs, int LockCycles, int Repeat,
    int QueueLatencyMs, IReadOnlyList<int> QueueProcesses, int QueueWorkers, int QueueLlmConcurrency,
    int QuotaRpm, int QuotaTokensPerCall, int QuotaProcesses, int QuotaConcurrency, int? ItemTeams, IReadOnlySet<int> Scenarios, string Out)
{
    public bool Runs(int scenario) => Scenarios.Contains(scenario);

    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        int Int(string name, int fallback) => values.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
        int[] Ints(string name, string fallback) =>
            [.. values.GetValueOrDefault(name, fallback).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(text => int.Parse(text, CultureInfo.InvariantCulture))];
        return new Options(Int("orgs", 5), Int("teams", 100), Int("respondents", 20), Int("items", 100), Math.Max(1, Int("weeks", 1)), Int("parallelism", 3),
            Int("llm-latency-ms", 200), Int("lock-cycles", 1000), Math.Max(1, Int("repeat", 5)),
            Int("queue-latency-ms", 1000), Ints("queue-processes", "1,2,3"), Int("queue-workers", 2), Int("queue-llm-concurrency", 3),
            Int("quota-rpm", 1200), Int("quota-tokens-per-call", 2800), Int("quota-processes", 3), Int("quota-concurrency", 30),
            values.ContainsKey("item-teams") ? Int("item-teams", 0) : null,
            Ints("scenarios", "1,2,3,4,5,6").ToHashSet(), values.GetValueOrDefault("out", "bench/results"));
    }
}
