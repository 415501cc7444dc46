using System.Text.Json;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Scoring;
using Npgsql;
using NpgsqlTypes;

namespace InPsyq.Weekly.Rollup;

/// <summary>
/// Stage 1 (docs/domain.md): rolls one team's answers of the week up into its <c>weekly_aggregates</c> row — factor
/// statistics, indices and the anonymity rule — and skips the write when the stored input hash still matches.
/// </summary>
/// <remarks>
/// Each team is one round trip (<see cref="RollupQuery"/>, a prepared statement that computes the statistics only when
/// the hash changed or the run is forced) inside its own per-team budget, then, if so, one more for the fenced upsert
/// (<see cref="Storage.WriteFence.WriteAsync"/>). The teams of an org run in the orchestrator's parallel window, so
/// several Postgres backends compute at once. One org-wide statement in <see cref="BeginOrgAsync"/> was measured and
/// rejected: 500 teams × 2,000 answers on 2 cores took ≈ 1.7 s for the org-wide statements alone against ≈ 1.0–1.4 s
/// for the whole per-team stage (parallelism 3), because one backend does all the work of an org; it would also have
/// put the computation outside the per-team budget and failure isolation.
/// </remarks>
public sealed class RollupStage : IPipelineStage
{
    private const string UpsertSql = """
        insert into weekly_aggregates (team_id, week_start, org_id, respondents, responses, suppressed, factors, indices,
                                       compute_version, input_hash, run_id, computed_at)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        on conflict (team_id, week_start) do update set
            org_id = excluded.org_id, respondents = excluded.respondents, responses = excluded.responses,
            suppressed = excluded.suppressed, factors = excluded.factors, indices = excluded.indices,
            compute_version = excluded.compute_version, input_hash = excluded.input_hash, run_id = excluded.run_id,
            computed_at = excluded.computed_at
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly string _computeVersion;

    public RollupStage(NpgsqlDataSource dataSource, TimeProvider time)
        : this(dataSource, time, PipelineVersions.Compute)
    {
    }

    /// <summary>With another compute version, e.g. to show in tests that a version bump invalidates stored rows.</summary>
    internal RollupStage(NpgsqlDataSource dataSource, TimeProvider time, string computeVersion)
    {
        _dataSource = dataSource;
        _time = time;
        _computeVersion = computeVersion;
    }

    public PipelineStage Stage => PipelineStage.Rollup;

    public Task<IOrgStage> BeginOrgAsync(OrgStageContext context, CancellationToken cancellationToken) =>
        Task.FromResult<IOrgStage>(new OrgRollup(this, context));

    private sealed class OrgRollup(RollupStage stage, OrgStageContext context) : IOrgStage
    {
        public async Task<StageOutcome> RunTeamAsync(TeamRef team, CancellationToken cancellationToken)
        {
            var rollup = await ComputeAsync(team, context.Force ? RollupStatistics.Always : RollupStatistics.WhenChanged, cancellationToken);
            if (rollup is null)
            {
                return StageOutcome.Skip(StageReasons.NoData);
            }

            if (rollup.Error is { } error)
            {
                throw new StageFailedException(error.Code, error.Message);
            }

            // The query computed the statistics exactly when the run is forced or the stored hash differs.
            if (rollup.Factors is not { } factors)
            {
                return StageOutcome.Skip(StageReasons.HashMatch);
            }

            await WriteAsync(team, rollup, factors, cancellationToken);
            return StageOutcome.Written();
        }

        public async Task<StagePlan> PlanTeamAsync(TeamRef team, CancellationToken cancellationToken)
        {
            var rollup = await ComputeAsync(team, RollupStatistics.Never, cancellationToken);
            return rollup is null ? StagePlan.Skip(StageReasons.NoData)
                : context.Force ? StagePlan.Run(StageReasons.Forced)
                : rollup.StoredHash == rollup.InputHash ? StagePlan.Skip(StageReasons.HashMatch)
                : StagePlan.Run(StageReasons.InputChanged);
        }

        private Task<TeamRollup?> ComputeAsync(TeamRef team, RollupStatistics statistics, CancellationToken cancellationToken) =>
            RollupQuery.ComputeAsync(
                stage._dataSource, team.TeamId, context.Week, context.Org.MinRespondents, stage._computeVersion, statistics, cancellationToken);

        private async Task WriteAsync(TeamRef team, TeamRollup rollup, IReadOnlyDictionary<Factor, FactorStats> computed, CancellationToken cancellationToken)
        {
            // Anonymity: below min_respondents only the counts are stored. (Every factor of such a team is below the
            // minimum too, so the query returned none; the rule is stated here explicitly all the same.)
            var suppressed = rollup.Respondents < context.Org.MinRespondents;
            var factors = suppressed ? new Dictionary<Factor, FactorStats>() : computed;
            // An index with too few of its factors is stored as JSON null, its key kept (docs/domain.md).
            var indices = suppressed
                ? new Dictionary<string, IndexResult?>()
                : IndexCalculator.ComputeAll(factors).ToDictionary(
                    index => WireName.Of(index.Key), index => index.Value.Value is null ? null : index.Value);

            var upsert = new NpgsqlBatchCommand(UpsertSql);
            upsert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = team.TeamId });
            upsert.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = context.Week.Monday });
            upsert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = context.Org.OrgId });
            upsert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = rollup.Respondents });
            upsert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = rollup.Responses });
            upsert.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = suppressed });
            upsert.Parameters.Add(Jsonb(factors.ToDictionary(factor => WireName.Of(factor.Key), factor => factor.Value)));
            upsert.Parameters.Add(Jsonb(indices));
            upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stage._computeVersion });
            upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = rollup.InputHash });
            upsert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = context.RunId });
            upsert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = stage._time.GetUtcNow() });
            await context.Fence.WriteAsync([upsert], cancellationToken);
        }

        private static NpgsqlParameter<string> Jsonb<TValue>(Dictionary<string, TValue> document) => new()
        {
            NpgsqlDbType = NpgsqlDbType.Jsonb,
            TypedValue = JsonSerializer.Serialize(document, WeeklyJson.Options),
        };
    }
}
