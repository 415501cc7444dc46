using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace InPsyq.Bench;

/// <summary>
/// Scenarios 1 and 2: stage 1 for one week, driven as the orchestrator drives it (orgs serially, teams in a sliding
/// window of <c>WEEKLY_TEAM_PARALLELISM</c>), next to the bare SQL that computes the same numbers over the same rows.
/// </summary>
internal sealed class RollupScenarios(IServiceProvider services, NpgsqlDataSource dataSource, IsoWeek week, int parallelism)
{
    /// <summary>The floor of scenario 1: team × factor means of the standard scores, one statement, no hashing or validation.</summary>
    public const string MeansFloorSql = """
        select r.team_id, i.factor,
               avg(case when i.direction = 'HIGHER_IS_LESS' then 1 - (r.value::float8 - i.scale_min::float8) / (i.scale_max::float8 - i.scale_min::float8)
                        else (r.value::float8 - i.scale_min::float8) / (i.scale_max::float8 - i.scale_min::float8) end)
        from measurement_responses r
        join measurement_items i on i.item_id = r.item_id
        where r.week_start = $1
        group by r.team_id, i.factor
        """;

    /// <summary>The floor of scenario 2: one sha256 per team over its sorted responses, one statement.</summary>
    public const string HashFloorSql = """
        select team_id,
               encode(sha256(convert_to(string_agg(respondent_id::text || '|' || item_id || '|' || value::text, E'\n' order by respondent_id, item_id, value), 'UTF8')), 'hex')
        from measurement_responses
        where week_start = $1
        group by team_id
        """;

    /// <summary>Runs stage 1 over every org; returns the run id and the number of teams per outcome.</summary>
    public async Task<(Guid RunId, Dictionary<string, int> Outcomes)> RunStageAsync(CancellationToken cancellationToken)
    {
        var runId = Guid.NewGuid();
        var stage = services.GetServices<IPipelineStage>().Single(candidate => candidate.Stage == PipelineStage.Rollup);
        var fences = services.GetRequiredService<LockFences>();
        var outcomes = new Dictionary<string, int>();
        foreach (var org in await services.GetRequiredService<TenantDirectory>().LoadScopeAsync(null, null, cancellationToken))
        {
            await fences.TakeAsync(week, org.OrgId, runId, cancellationToken);
            var orgStage = await stage.BeginOrgAsync(new OrgStageContext(runId, week, org, false, new OrgProgress(org), fences.For(week, org.OrgId, runId), _ => { }), cancellationToken);
            var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(org.Teams, options, async (team, token) =>
            {
                var outcome = await orgStage.RunTeamAsync(team, token);
                var key = outcome.Reason is { } reason ? $"{outcome.Status}:{reason}" : outcome.Status.ToString();
                lock (outcomes)
                {
                    outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
                }
            });
        }

        return (runId, outcomes);
    }

    /// <summary>Runs a floor statement and reads every row it returns; returns the row count.</summary>
    public async Task<long> RunFloorAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = week.Monday });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        long rows = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            rows++;
        }

        return rows;
    }

    /// <summary>Deletes what stage 1 wrote for the week, so that the next run writes the week again.</summary>
    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        await using (var delete = dataSource.CreateCommand("delete from weekly_aggregates where week_start = $1"))
        {
            delete.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = week.Monday });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var vacuum = dataSource.CreateCommand("vacuum weekly_aggregates");
        await vacuum.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Rows of <c>weekly_aggregates</c> stamped with <paramref name="runId"/>: what that run wrote.</summary>
    public async Task<long> RowsWrittenByAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select count(*) from weekly_aggregates where run_id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary><c>EXPLAIN (ANALYZE, BUFFERS)</c> of a statement with the week as $1 (and the extra parameters).</summary>
    public async Task<string> ExplainAsync(string sql, object[] extra, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"explain (analyze, buffers, timing off) {sql}");
        command.CommandTimeout = 0;
        foreach (var value in extra)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var lines = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join('\n', lines);
    }
}
