using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Hashing;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Rollup;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Interpretation;

/// <summary>
/// Stage 3 (docs/domain.md): reads a team's stored stage-2 output, interprets it (Azure OpenAI or offline), validates the
/// sections and stores them as the team-week's active interpretation, atomically and fenced. Skips when the active
/// row's hash matches: the attribution hash, prompt version, configured model and schema version are unchanged.
/// </summary>
public sealed partial class InterpretationStage : IPipelineStage
{
    public const string OfflineNote = "offline_interpreter";
    public const string FallbackNote = "offline_fallback";

    private readonly StageTwoOutputReader _reader;
    private readonly InterpretationStore _store;
    private readonly StageOneFreshness _freshness;
    private readonly IInterpreter _interpreter;
    private readonly LlmOptions _llmOptions;
    private readonly WeeklyRunOptions _runOptions;
    private readonly ILogger<InterpretationStage> _logger;

    public InterpretationStage(
        StageTwoOutputReader reader,
        InterpretationStore store,
        StageOneFreshness freshness,
        IInterpreter interpreter,
        IOptions<LlmOptions> llmOptions,
        IOptions<WeeklyRunOptions> runOptions,
        ILogger<InterpretationStage> logger)
    {
        _reader = reader;
        _store = store;
        _freshness = freshness;
        _interpreter = interpreter;
        _llmOptions = llmOptions.Value;
        _runOptions = runOptions.Value;
        _logger = logger;
    }

    public PipelineStage Stage => PipelineStage.Interpretation;

    /// <summary>
    /// With Azure OpenAI: <see cref="LlmOptions.TeamBudget"/>. It is paused while the team waits for an
    /// <c>LLM_MAX_CONCURRENCY</c> slot, for the quota governor or out a 429's pause (the run's deadline still ticks).
    /// </summary>
    public TimeSpan? TeamTimeout => _llmOptions.UsesAzureOpenAI ? _llmOptions.TeamBudget(_runOptions.TeamTimeout) : null;

    public Task<IOrgStage> BeginOrgAsync(OrgStageContext context, CancellationToken cancellationToken)
    {
        if (!_llmOptions.UsesAzureOpenAI)
        {
            context.AddNote(OfflineNote);
        }

        return Task.FromResult<IOrgStage>(new OrgStage(this, context));
    }

    private static string Hash(string attributionHash, string modelId) =>
        StageInputHashes.Interpretation(attributionHash, PipelineVersions.Prompt, modelId, PipelineVersions.InterpretationSchema);

    private sealed class OrgStage(InterpretationStage owner, OrgStageContext context) : IOrgStage
    {
        public Task<StageOutcome> RunTeamAsync(TeamRef team, CancellationToken cancellationToken) => RunTeamAsync(team, null, cancellationToken);

        public async Task<StageOutcome> RunTeamAsync(TeamRef team, TeamBudget? budget, CancellationToken cancellationToken)
        {
            if (UpstreamSkipReason(team) is { } reason)
            {
                return StageOutcome.Skip(reason);
            }

            var output = await owner._reader.ReadAsync(context.Org.OrgId, team.TeamId, context.Week, cancellationToken);
            if (output is null)
            {
                return StageOutcome.Skip(StageReasons.MissingPipelineOutput);
            }

            var stale = await IsStaleAsync(team, cancellationToken);
            var expected = Hash(output.AttributionHash, owner._interpreter.ConfiguredModelId);
            var active = await owner._store.FindActiveAsync(team.TeamId, context.Week, cancellationToken);
            if (active?.InputHash == expected && active.RunId == context.RunId)
            {
                // This run wrote it already: a delivery of its item whose host died before recording the team's
                // result. Even a forced run interprets a team once (its tokens were counted by that delivery, if at all).
                return StageOutcome.Written();
            }

            if (!context.Force && active?.InputHash == expected)
            {
                return StageOutcome.Skip(StageReasons.HashMatch);
            }

            var input = InterpretationInputBuilder.Build(output, context.Org);
            InterpretationResult result;
            try
            {
                result = await owner._interpreter.InterpretAsync(input, budget, cancellationToken);
            }
            catch (InterpretationFailedException e)
            {
                LogFailed(owner._logger, team.TeamId, e.Code);
                return Spent(StageOutcome.Fail(e.Code, e.Message), e.Usage);
            }

            // Whichever interpreter wrote them, nothing unvalidated is stored.
            var violations = InterpretationValidator.Validate(result.Sections, input);
            if (violations.Count > 0)
            {
                var rules = string.Join(", ", violations.Select(violation => $"{violation.Path} ({violation.Rule})").Distinct());
                var invalid = StageOutcome.Fail(InterpretationFailedException.InvalidOutput, $"The {result.ModelId} interpretation failed validation: {rules}.");
                return Spent(invalid, result.Usage);
            }

            if (result.FellBackToOffline)
            {
                context.AddNote(FallbackNote);
            }

            // The stored hash names the model actually used, so an offline fallback is retried with the LLM next run.
            var row = new InterpretationRow(context.Org.OrgId, team.TeamId, context.Week, Hash(output.AttributionHash, result.ModelId),
                result.ModelId, PipelineVersions.Prompt, result.Sections, result.Usage.Input, result.Usage.Output, context.RunId);
            await context.Fence.WriteAsync(InterpretationStore.ReplaceActive(row), cancellationToken);
            return Spent(new StageOutcome(StageStatus.Succeeded, stale ? StageReasons.StalePipelineOutput : null) { Wrote = true }, result.Usage);
        }

        private static StageOutcome Spent(StageOutcome outcome, TokenUsage usage) =>
            outcome with { TokensIn = usage.Input, TokensOut = usage.Output, LlmCalls = usage.Calls };

        /// <summary>
        /// Only when stage 2 did not run in this run (INTERPRETATION_ONLY): is the stored output older than the answers?
        /// Noted per team in the run report, whether or not the interpretation is rewritten.
        /// </summary>
        private async Task<bool> IsStaleAsync(TeamRef team, CancellationToken cancellationToken)
        {
            if (context.Progress.Find(team.TeamId, PipelineStage.Attribution) is not null
                || !await owner._freshness.HasChangedSinceStoredAsync(team, context.Week, context.Org.MinRespondents, cancellationToken))
            {
                return false;
            }

            context.AddNote($"{StageReasons.StalePipelineOutput}:{team.TeamId}");
            return true;
        }

        public async Task<StagePlan> PlanTeamAsync(TeamRef team, CancellationToken cancellationToken)
        {
            if (context.Progress.Find(team.TeamId, PipelineStage.Attribution)?.Plan is { WillRun: true })
            {
                return StagePlan.Run(StageReasons.UpstreamWillRun);
            }

            if (UpstreamSkipReason(team) is { } reason)
            {
                return StagePlan.Skip(reason);
            }

            var output = await owner._reader.ReadAsync(context.Org.OrgId, team.TeamId, context.Week, cancellationToken);
            if (output is null)
            {
                return StagePlan.Skip(StageReasons.MissingPipelineOutput);
            }

            if (context.Force)
            {
                return StagePlan.Run(StageReasons.Forced);
            }

            var expected = Hash(output.AttributionHash, owner._interpreter.ConfiguredModelId);
            return (await owner._store.FindActiveAsync(team.TeamId, context.Week, cancellationToken))?.InputHash == expected
                ? StagePlan.Skip(StageReasons.HashMatch)
                : StagePlan.Run(StageReasons.InputChanged);
        }

        /// <summary>Stage 2 of this run found no data or a suppressed week: say so rather than "missing output".</summary>
        private string? UpstreamSkipReason(TeamRef team) =>
            context.Progress.Find(team.TeamId, PipelineStage.Attribution)?.Outcome is { Status: StageStatus.Skipped, Reason: StageReasons.NoData or StageReasons.Suppressed } skipped
                ? skipped.Reason
                : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Interpretation of team {TeamId} failed with {Code}")]
    private static partial void LogFailed(ILogger logger, Guid teamId, string code);
}
