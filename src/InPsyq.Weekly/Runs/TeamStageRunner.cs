using System.Diagnostics;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Runs;

/// <summary>
/// What stops a run's teams, and the name of what did, in order of precedence: a lost lock, the run deadline; host
/// shutdown has no name of its own. <see cref="LockLost"/> is cancelled by the runner when a write finds its fence
/// (or its work item's claim) taken. <see cref="NoNewTeams"/> (an item's time budget) lets running teams finish and
/// starts no other.
/// </summary>
internal sealed class RunStop(
    CancellationTokenSource lockLost, CancellationTokenSource deadlineReached, CancellationToken token, CancellationToken noNewTeams = default)
{
    public CancellationToken Token { get; } = token;

    public CancellationToken NoNewTeams { get; } = noNewTeams;

    public CancellationTokenSource LockLost { get; } = lockLost;

    public string? Describe() =>
        LockLost.IsCancellationRequested ? "lock_lost"
        : deadlineReached.IsCancellationRequested ? "deadline_reached"
        : null;
}

/// <summary>
/// Runs one stage of one org for a set of its teams: the stage's <see cref="IPipelineStage.BeginOrgAsync"/> once, then
/// the teams in a sliding window of <c>WEEKLY_TEAM_PARALLELISM</c>, each within its budget. Whatever stops or fails a
/// team becomes its outcome; the caller records each result as it arrives.
/// </summary>
public sealed partial class TeamStageRunner(
    IEnumerable<IPipelineStage> stages, IOptions<WeeklyRunOptions> options, TimeProvider time, ILogger<TeamStageRunner> logger)
{
    /// <summary>The registered stages; as with any DI service, the last registration of a stage wins (hosts and tests can replace one).</summary>
    public IReadOnlyDictionary<PipelineStage, IPipelineStage> Stages { get; } =
        stages.GroupBy(stage => stage.Stage).ToDictionary(group => group.Key, group => group.Last());

    internal async Task RunAsync(
        IPipelineStage implementation, OrgStageContext context, IReadOnlyList<TeamRef> teams, RunStop stop,
        Func<TeamRef, TeamStageResult, Task> record)
    {
        using var activity = WeeklyTelemetry.Source.StartActivity(WeeklyTelemetry.StageSpan);
        activity?.SetTag(WeeklyTelemetry.StageAttribute, implementation.Stage.ToWire());
        IOrgStage orgStage;
        var started = time.GetTimestamp();
        try
        {
            orgStage = await implementation.BeginOrgAsync(context, stop.Token);
        }
        catch (Exception e)
        {
            var outcome = Classify(e, stop, null, implementation.Stage);
            activity?.SetStatus(ActivityStatusCode.Error, outcome.ErrorCode);
            foreach (var team in teams)
            {
                var result = new TeamStageResult(implementation.Stage, outcome, ElapsedMs(started));
                Record(result);
                await record(team, result);
            }

            return;
        }

        var parallelism = new ParallelOptions { MaxDegreeOfParallelism = options.Value.TeamParallelism };
        await Parallel.ForEachAsync(teams, parallelism, async (team, _) =>
            await record(team, await RunTeamAsync(implementation, orgStage, team, stop)));
    }

    private async Task<TeamStageResult> RunTeamAsync(IPipelineStage implementation, IOrgStage orgStage, TeamRef team, RunStop stop)
    {
        var stage = implementation.Stage;
        if (stop.Token.IsCancellationRequested)
        {
            return new TeamStageResult(stage, new StageOutcome(StageStatus.NotStarted, stop.Describe()), 0);
        }

        if (stop.NoNewTeams.IsCancellationRequested)
        {
            return new TeamStageResult(stage, new StageOutcome(StageStatus.NotStarted, StageReasons.ItemBudget), 0);
        }

        using var activity = WeeklyTelemetry.Source.StartActivity(WeeklyTelemetry.TeamSpan);
        activity?.SetTag(WeeklyTelemetry.TeamIdAttribute, team.TeamId).SetTag(WeeklyTelemetry.StageAttribute, stage.ToWire());
        var started = time.GetTimestamp();
        using var budget = new TeamBudget(implementation.TeamTimeout ?? options.Value.TeamTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, budget.Token);
        StageOutcome outcome;
        try
        {
            outcome = await orgStage.RunTeamAsync(team, budget, linked.Token);
        }
        catch (Exception e)
        {
            outcome = Classify(e, stop, budget, stage);
            if (outcome.Status == StageStatus.Failed)
            {
                LogTeamFailed(e, team.TeamId, stage.ToWire(), outcome.ErrorCode!);
            }
        }

        var result = new TeamStageResult(stage, outcome, ElapsedMs(started));
        activity?.SetTag(WeeklyTelemetry.OutcomeAttribute, outcome.Status.ToWire());
        if (outcome.Status.IsFailure())
        {
            activity?.SetStatus(ActivityStatusCode.Error, outcome.ErrorCode);
        }

        Record(result);
        return result;
    }

    private static void Record(TeamStageResult result) =>
        WeeklyTelemetry.RecordTeam(
            result.Stage.ToWire(), result.Outcome.Status.ToWire(), result.Outcome.Status.IsFailure() ? result.Outcome.ErrorCode : null, result.DurationMs);

    private static StageOutcome Classify(Exception e, RunStop stop, TeamBudget? budget, PipelineStage stage)
    {
        if (e is LockLostException)
        {
            stop.LockLost.Cancel();
            return new StageOutcome(StageStatus.NotStarted, "lock_lost");
        }

        if (stop.Token.IsCancellationRequested)
        {
            return new StageOutcome(StageStatus.NotStarted, stop.Describe());
        }

        if (budget is { IsExpired: true })
        {
            return new StageOutcome(StageStatus.TimedOut, "team_timeout", "TEAM_TIMEOUT",
                $"The {stage.ToWire()} stage exceeded its per-team budget; nothing was written after the timeout.");
        }

        return e is StageFailedException failed
            ? StageOutcome.Fail(failed.Code, failed.Message)
            : StageOutcome.Fail("STAGE_ERROR", $"The {stage.ToWire()} stage failed unexpectedly ({e.GetType().Name}); see the logs for this run id.");
    }

    private long ElapsedMs(long startTimestamp) => (long)time.GetElapsedTime(startTimestamp).TotalMilliseconds;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Team {TeamId} failed in stage {Stage}: {Code}")]
    private partial void LogTeamFailed(Exception exception, Guid teamId, string stage, string code);
}
