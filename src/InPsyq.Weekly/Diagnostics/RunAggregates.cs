using System.Text.Json;
using Npgsql;

namespace InPsyq.Weekly.Diagnostics;

/// <summary>
/// The 7/30/90-day aggregates of the run history, computed in SQL over runs started in each window:
/// runs by status; run failure rate = (failed + abandoned) / finished runs, locked excluded; team failure rate =
/// (failed + timed_out) / team-stage results of the runs' details, skipped excluded; p50/p95 duration of finished,
/// non-locked runs by nearest rank (<c>percentile_disc</c>); LLM tokens in and out. A rate with nothing to divide is null.
/// </summary>
internal static class RunAggregates
{
    private const string Sql = """
        with windows (name, since) as (
            values ('7d', $1 - interval '7 days'), ('30d', $1 - interval '30 days'), ('90d', $1 - interval '90 days')),
        runs as (
            select w.name, r.status, r.duration_ms, r.llm_tokens_in, r.llm_tokens_out, r.details
            from windows w join weekly_runs r on r.started_at >= w.since and r.started_at <= $1),
        by_status as (
            select name, jsonb_object_agg(status, n) as counts
            from (select name, status, count(*) as n from runs group by name, status) counted
            group by name),
        run_stats as (
            select name,
                count(*) filter (where status in ('failed', 'abandoned'))::float8
                    / nullif(count(*) filter (where status not in ('running', 'locked')), 0) as failure_rate,
                percentile_disc(0.5) within group (order by duration_ms) filter (where status not in ('running', 'locked')) as p50,
                percentile_disc(0.95) within group (order by duration_ms) filter (where status not in ('running', 'locked')) as p95,
                sum(llm_tokens_in) as tokens_in,
                sum(llm_tokens_out) as tokens_out
            from runs group by name),
        team_stats as (
            select r.name,
                count(*) filter (where stage->>'status' in ('failed', 'timed_out'))::float8 / count(*) as failure_rate
            from runs r
            cross join lateral jsonb_array_elements(coalesce(r.details->'teams', '[]'::jsonb)) team
            cross join lateral jsonb_array_elements(coalesce(team->'stages', '[]'::jsonb)) stage
            where stage->>'status' <> 'skipped'
            group by r.name)
        select jsonb_object_agg(w.name, jsonb_build_object(
            'runs_by_status', coalesce(b.counts, '{}'::jsonb),
            'failure_rate', jsonb_build_object('runs', rs.failure_rate, 'teams', ts.failure_rate),
            'duration_ms', jsonb_build_object('p50', rs.p50, 'p95', rs.p95),
            'llm_tokens', jsonb_build_object('in', coalesce(rs.tokens_in, 0), 'out', coalesce(rs.tokens_out, 0))))
        from windows w
        left join by_status b using (name)
        left join run_stats rs using (name)
        left join team_stats ts using (name)
        """;

    public static async Task<JsonElement> QueryAsync(NpgsqlDataSource dataSource, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Sql);
        command.Parameters.Add(new() { Value = now });
        var json = (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
