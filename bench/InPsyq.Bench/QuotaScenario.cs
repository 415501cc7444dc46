using System.Globalization;
using InPsyq.FakeOpenAI;
using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Bench;

/// <summary>One quota run: the forced FULL run on the queue and what the fake deployment counted.</summary>
internal sealed record QuotaRun(bool Governed, QueueRun Run, int Calls, int Refused, long Tokens, TimeSpan Floor, string PeakMinute);

/// <summary>
/// Scenario 6: the forced FULL run of the week worked off the queue by N <c>worker</c> processes against a fake Azure
/// OpenAI deployment that enforces a quota (requests and tokens per minute, 429 with <c>Retry-After</c> beyond it) with
/// a fixed latency: once with the quota governor (every process shares the quota through Postgres), once without it
/// (quotas of 0: each process on its own, pausing only itself after a 429). The floor is the time the quota alone
/// allows for what the run sent: the admitted calls at the requests rate or their tokens at the tokens rate, the longer.
/// </summary>
internal sealed class QuotaScenario(IServiceProvider services, NpgsqlDataSource dataSource, IReadOnlyDictionary<string, string?> workerSettings, IsoWeek week)
{
    public const string Deployment = "gpt-bench";

    public async Task<QuotaRun> RunAsync(bool governed, int processes, int requestsPerMinute, int tokensPerMinute, TimeSpan latency, CancellationToken cancellationToken)
    {
        await using var llm = await FakeOpenAIServer.StartAsync();
        llm.Default = llm.Default with { Delay = latency };
        var quota = llm.Limit(Deployment, requestsPerMinute, tokensPerMinute);
        var settings = new Dictionary<string, string?>(workerSettings)
        {
            ["AZURE_OPENAI_ENDPOINT"] = llm.Endpoint.ToString(),
            ["AZURE_OPENAI_DEPLOYMENT"] = Deployment,
            ["LLM_REQUESTS_PER_MINUTE"] = (governed ? requestsPerMinute : 0).ToString(CultureInfo.InvariantCulture),
            ["LLM_TOKENS_PER_MINUTE"] = (governed ? tokensPerMinute : 0).ToString(CultureInfo.InvariantCulture),
        };
        var run = await new QueueScenario(services, dataSource, settings, week).RunAsync(processes, cancellationToken);
        var admitted = quota.Arrivals.Where(arrival => arrival.Admitted).ToList();
        var tokens = admitted.Sum(arrival => arrival.Tokens);
        var floor = TimeSpan.FromSeconds(Math.Max(admitted.Count / (requestsPerMinute / 60.0), tokens / (tokensPerMinute / 60.0)));
        var peak = quota.Windows(TimeSpan.FromSeconds(10)).MaxBy(window => window.Requests);
        var peakMinute = peak is null ? "—" : string.Create(CultureInfo.InvariantCulture, $"{peak.Requests * 6} requests/min and {peak.Tokens * 6:N0} tokens/min");
        return new QuotaRun(governed, run, admitted.Count, quota.Refused, tokens, floor, peakMinute);
    }
}
