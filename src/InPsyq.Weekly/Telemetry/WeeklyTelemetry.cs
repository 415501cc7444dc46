using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using OpenTelemetry;

namespace InPsyq.Weekly.Telemetry;

/// <summary>
/// The OpenTelemetry sources of the weekly runner, both named <c>InPsyq.Weekly</c>: the spans of a run's trace
/// (<c>weekly.run</c> → <c>weekly.work_item</c> → <c>weekly.org</c> → <c>weekly.stage</c> → <c>weekly.team</c>, with
/// <c>llm.chat</c> below a team, and the lock operations) and the run metrics. The span, attribute and instrument
/// names are a contract: the Kusto queries in <c>docs/</c> read them. An exporter subscribes by name
/// (<see cref="TelemetryServiceCollectionExtensions.AddWeeklyTelemetry"/>); without one, every call here is a cheap no-op.
/// </summary>
public static class WeeklyTelemetry
{
    public const string Name = "InPsyq.Weekly";

    public const string RunSpan = "weekly.run";
    public const string WorkItemSpan = "weekly.work_item";
    public const string OrgSpan = "weekly.org";
    public const string StageSpan = "weekly.stage";
    public const string TeamSpan = "weekly.team";
    public const string LlmChatSpan = "llm.chat";

    public const string RunIdAttribute = "inpsyq.run_id";
    public const string WeekAttribute = "inpsyq.week";
    public const string ModeAttribute = "inpsyq.mode";
    public const string OutcomeAttribute = "inpsyq.outcome";
    public const string ScopeAttribute = "inpsyq.scope";
    public const string TriggerAttribute = "inpsyq.trigger";
    public const string ItemIdAttribute = "inpsyq.item_id";
    public const string OrgIdAttribute = "inpsyq.org_id";
    public const string StageAttribute = "inpsyq.stage";
    public const string TeamIdAttribute = "inpsyq.team_id";
    public const string InputTokensAttribute = "gen_ai.usage.input_tokens";
    public const string OutputTokensAttribute = "gen_ai.usage.output_tokens";

    private static readonly string? s_version =
        typeof(WeeklyTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    public static ActivitySource Source { get; } = new(Name, s_version);

    public static Meter Meter { get; } = new(Name, s_version);

    private static readonly Counter<long> s_runs =
        Meter.CreateCounter<long>("inpsyq.runs", "{run}", "Finished runs by outcome (the run's final status), trigger and mode.");

    private static readonly Histogram<double> s_runDuration =
        Meter.CreateHistogram<double>("inpsyq.run.duration", "s", "Duration of finished runs, by outcome, trigger and mode.");

    private static readonly Histogram<double> s_teamDuration =
        Meter.CreateHistogram<double>("inpsyq.team.duration", "s", "Duration of one team's stage, by stage and status.");

    private static readonly Counter<long> s_teamsFailed =
        Meter.CreateCounter<long>("inpsyq.teams.failed", "{team}", "Teams whose stage failed or timed out, by stage and error code.");

    private static readonly Counter<long> s_llmTokens =
        Meter.CreateCounter<long>("inpsyq.llm.tokens", "{token}", "Tokens of LLM chat completions, by kind (input or output).");

    private static readonly Counter<long> s_lockAcquisitions =
        Meter.CreateCounter<long>("inpsyq.lock.acquisitions", "{attempt}", "Lock acquisition attempts, by result (acquired or busy).");

    /// <summary>A run became final (its audit row has its status): counted once, by the process that finished it.</summary>
    public static void RecordRun(string outcome, string trigger, string mode, long durationMs)
    {
        var tags = new TagList { { "outcome", outcome }, { "trigger", trigger }, { "mode", mode } };
        s_runs.Add(1, tags);
        s_runDuration.Record(durationMs / 1000.0, tags);
    }

    /// <param name="errorCode">The error code of a failed or timed-out team; null for any other status.</param>
    public static void RecordTeam(string stage, string status, string? errorCode, long durationMs)
    {
        s_teamDuration.Record(durationMs / 1000.0, new TagList { { "stage", stage }, { "status", status } });
        if (errorCode is not null)
        {
            s_teamsFailed.Add(1, new TagList { { "stage", stage }, { "code", errorCode } });
        }
    }

    /// <summary>
    /// Until disposed, nothing is traced on this async flow: for polls (an idle worker's receive from the queue, a
    /// wait for a run's report), which would otherwise be a trace of their own, or hundreds of spans in a run's trace.
    /// </summary>
    public static IDisposable Untraced() => SuppressInstrumentationScope.Begin();

    public static void RecordLockAttempt(bool acquired) =>
        s_lockAcquisitions.Add(1, new KeyValuePair<string, object?>("result", acquired ? "acquired" : "busy"));

    /// <summary>
    /// Starts an <c>llm.chat</c> client span (GenAI semantic conventions) for one chat completion on
    /// <paramref name="deployment"/>; <see cref="RecordLlmUsage"/> adds its token counts.
    /// </summary>
    public static Activity? StartLlmChat(string? deployment)
    {
        var activity = Source.StartActivity(LlmChatSpan, ActivityKind.Client);
        activity?.SetTag("gen_ai.operation.name", "chat").SetTag("gen_ai.provider.name", "azure.ai.openai").SetTag("gen_ai.request.model", deployment);
        return activity;
    }

    /// <summary>The tokens a chat completion used: attributes of its span and the <c>inpsyq.llm.tokens</c> counter.</summary>
    public static void RecordLlmUsage(Activity? activity, long inputTokens, long outputTokens)
    {
        activity?.SetTag(InputTokensAttribute, inputTokens).SetTag(OutputTokensAttribute, outputTokens);
        s_llmTokens.Add(inputTokens, new KeyValuePair<string, object?>("kind", "input"));
        s_llmTokens.Add(outputTokens, new KeyValuePair<string, object?>("kind", "output"));
    }
}
