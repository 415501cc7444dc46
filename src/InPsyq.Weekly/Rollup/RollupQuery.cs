using System.Data;
using System.Text;
using InPsyq.Weekly.Scoring;
using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Weekly.Rollup;

/// <summary>
/// What Postgres computed for one team-week: counts, the first validation error, the input hash and the team factor
/// statistics (only factors with at least <c>min_respondents</c> respondents; null when they were not computed, see
/// <see cref="RollupStatistics"/>). Individual answers never leave the database.
/// </summary>
internal sealed record TeamRollup(
    int Respondents,
    int Responses,
    MeasurementError? Error,
    string InputHash,
    string? StoredHash,
    IReadOnlyDictionary<Factor, FactorStats>? Factors);

/// <summary>When <see cref="RollupQuery"/> computes the factor statistics besides the hash (never for a team that fails validation).</summary>
internal enum RollupStatistics
{
    /// <summary>Only counts, validation and hashes (plans, freshness checks).</summary>
    Never,

    /// <summary>When the input hash differs from the stored one: the skip decision of an unforced run.</summary>
    WhenChanged,

    /// <summary>Whatever the stored hash (a forced run).</summary>
    Always,
}

/// <summary>
/// Stage 1's one round trip per team and week: validation, standard scores, respondent and team factor statistics and
/// the input hash, computed set-based in Postgres over the covering index <c>measurement_responses_team_week_idx</c>
/// (an index-only scan on <c>(team_id, week_start)</c>), together with the stored hash of the team-week.
/// </summary>
/// <remarks>
/// <para>
/// <b>Hash first.</b> Validation and the input hash are computed first; the statistics read the answers a second time
/// behind a one-time filter (<see cref="RollupStatistics"/>), so an unchanged team costs only its hash, and a changed
/// one gets hash and statistics from one statement, i.e. one snapshot: a stored hash always describes the answers its
/// statistics were computed from.
/// </para>
/// <para>
/// <b>Validation.</b> A response is <c>INVALID_VALUE</c> when its value is NULL or outside [scale_min, scale_max],
/// compared exactly as stored numerics (bounds inclusive; NaN and ±Infinity fail). An item is <c>INVALID_ITEM</c> when
/// scale_max ≤ scale_min, a bound is not finite, its factor is not one of the ten or its direction not one of the two;
/// a response to an item missing from <c>measurement_items</c> counts as <c>INVALID_ITEM</c> too. The team reports the
/// first offending item in item_id order (<c>COLLATE "C"</c>, byte order), with that item's code.
/// </para>
/// <para>
/// <b>Arithmetic.</b> The standard score is computed in float8 from the float8 values of value, scale_min and scale_max, like
/// <see cref="StandardScore"/>. Every floating-point aggregate has an explicit ORDER BY (items by item_id, respondents
/// by respondent_id), so the stored means and deviations are bit-for-bit independent of row and insert order.
/// </para>
/// <para>
/// <b>Input hash</b> = lowercase hex SHA-256 of the UTF-8 bytes of this canonical text:
/// <code>
/// compute_version={compute_version}\n
/// min_respondents={min_respondents}\n
/// then per respondent, in respondent_id order (uuid order, i.e. that of the lowercase 8-4-4-4-12 text):
///   r={respondent_id as lowercase 8-4-4-4-12}\n
///   then per response of that respondent, in (item_id COLLATE "C", value) order:
///     {length(item_id)}:{item_id}|{factor}|{scale_min::text}|{scale_max::text}|{direction}|{value::text}\n
/// </code>
/// So the responses are hashed sorted by (respondent_id, item_id, value), and every response carries the definition
/// of its item: the hash covers exactly the item definitions used. Numerics are hashed as stored (<c>value::text</c>,
/// so <c>4</c> and <c>4.0</c> differ: a re-stored value recomputes, it never skips wrongly). The item id is
/// length-prefixed (in characters), so any item id is unambiguous; factor and direction are one of the allowed names
/// for every team that passes validation. A NULL value is written <c>null</c> and an undefined item
/// <c>{length}:{item_id}|undefined|{value}</c> (such teams fail validation and are never stored). Team, org and week
/// are not part of the text: the hash is compared with the stored row of the same team-week only.
/// </para>
/// </remarks>
internal static class RollupQuery
{
    private static readonly Factor[] s_factors = Enum.GetValues<Factor>();

    /// <summary>
    /// Parameters: $1 team_id, $2 week_start, $3 min_respondents, $4 compute_version, $5 statistics wanted at all,
    /// $6 statistics even when the stored hash matches.
    /// </summary>
    internal static string Sql { get; } = BuildSql();

    /// <summary>Computes one team-week; null when the team has no responses that week.</summary>
    public static async Task<TeamRollup?> ComputeAsync(
        NpgsqlDataSource dataSource, Guid teamId, IsoWeek week, int minRespondents, string computeVersion, RollupStatistics statistics,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = teamId });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = week.Monday });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = minRespondents });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = computeVersion });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = statistics != RollupStatistics.Never });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = statistics == RollupStatistics.Always });

        // Prepared once per physical connection (Npgsql keeps it across pool returns): the plan is reused by every team.
        await command.PrepareAsync(cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken);
        await reader.ReadAsync(cancellationToken);

        var responses = reader.GetInt32(1);
        if (responses == 0)
        {
            return null;
        }

        return new TeamRollup(
            Respondents: reader.GetInt32(0),
            Responses: responses,
            Error: reader.IsDBNull(2) ? null : new MeasurementError(reader.GetString(2), reader.GetString(3)),
            InputHash: reader.GetString(4),
            StoredHash: reader.IsDBNull(5) ? null : reader.GetString(5),
            Factors: reader.IsDBNull(6) ? null : ReadFactors(reader));
    }

    private static Dictionary<Factor, FactorStats> ReadFactors(NpgsqlDataReader reader)
    {
        var n = reader.GetFieldValue<int?[]>(6);
        var mean = reader.GetFieldValue<double?[]>(7);
        var sd = reader.GetFieldValue<double?[]>(8);
        var se = reader.GetFieldValue<double?[]>(9);
        var factors = new Dictionary<Factor, FactorStats>();
        for (var i = 0; i < s_factors.Length; i++)
        {
            if (n[i] is { } count)
            {
                factors[s_factors[i]] = new FactorStats(mean[i]!.Value, sd[i]!.Value, count, se[i]!.Value);
            }
        }

        return factors;
    }

    private static string BuildSql()
    {
        var factorNames = string.Join(", ", s_factors.Select(factor => $"'{WireName.Of(factor)}'"));
        var directions = string.Join(", ", Enum.GetValues<ItemDirection>().Select(direction => $"'{WireName.Of(direction)}'"));
        var higherIsLess = WireName.Of(ItemDirection.HigherIsLess);

        // One respondent factor score column per factor (f0..f9, in Factor order), and per factor the team statistics;
        // a factor answered by fewer than min_respondents respondents (and by none, whatever the minimum) yields NULLs,
        // i.e. it is omitted.
        var respondentScores = new StringBuilder();
        var n = new List<string>();
        var mean = new List<string>();
        var sd = new List<string>();
        var se = new List<string>();
        for (var i = 0; i < s_factors.Length; i++)
        {
            respondentScores.Append($",\n        avg(score order by item_id collate \"C\", value) filter (where factor = '{WireName.Of(s_factors[i])}') as f{i}");
            var present = $"count(f{i}) >= greatest($3, 1)";
            var sampleSd = $"coalesce(stddev_samp(f{i} order by respondent_id), 0)";
            n.Add($"case when {present} then count(f{i})::int end");
            mean.Add($"case when {present} then avg(f{i} order by respondent_id) end");
            sd.Add($"case when {present} then {sampleSd} end");
            se.Add($"case when {present} then {sampleSd} / sqrt(count(f{i})) end");
        }

        // The statistics are a lateral aggregate whose HAVING references only the outer row and parameters: Postgres
        // copies such a clause into WHERE as a one-time filter, so it never reads the answers a second time when the
        // clause is false, and HAVING turns the aggregate's one row into none (NULL statistics). "checked" is
        // materialized so that the filter reads the hash instead of inlining (and recomputing) its sha256.
        return $$"""
            with items as (
                select i.item_id, i.factor, i.direction, i.scale_min, i.scale_max,
                       i.scale_min::float8 as lo, i.scale_max::float8 - i.scale_min::float8 as span,
                       (i.scale_max > i.scale_min and i.scale_min > '-Infinity'::numeric and i.scale_max < 'Infinity'::numeric
                        and i.factor in ({{factorNames}}) and i.direction in ({{directions}})) as valid,
                       length(i.item_id) || ':' || i.item_id || '|' || i.factor || '|' || i.scale_min::text || '|'
                           || i.scale_max::text || '|' || i.direction || '|' as line_prefix
                from measurement_items i
            ),
            answers as (
                select r.respondent_id, r.item_id, r.value,
                       case when i.valid is not true then 1
                            when r.value is null or r.value < i.scale_min or r.value > i.scale_max then 2 end as error,
                       coalesce(i.line_prefix, length(r.item_id) || ':' || r.item_id || '|undefined|')
                           || coalesce(r.value::text, 'null') || E'\n' as line
                from measurement_responses r
                left join items i on i.item_id = r.item_id
                where r.team_id = $1 and r.week_start = $2
            ),
            per_respondent as (
                select respondent_id, count(*) as responses,
                    string_agg(line, '' order by item_id collate "C", value) as lines,
                    min(item_id collate "C") filter (where error = 1) as invalid_item,
                    min(item_id collate "C") filter (where error = 2) as invalid_value
                from answers
                group by respondent_id
            ),
            team as (
                select count(*)::int as respondents, coalesce(sum(responses), 0)::int as responses,
                    min(invalid_item collate "C") as invalid_item, min(invalid_value collate "C") as invalid_value,
                    encode(sha256(convert_to(
                        'compute_version=' || $4 || E'\n' || 'min_respondents=' || $3::text || E'\n'
                            || coalesce(string_agg('r=' || respondent_id::text || E'\n' || lines, '' order by respondent_id), ''),
                        'UTF8')), 'hex') as input_hash
                from per_respondent
            ),
            checked as materialized (
                select t.respondents, t.responses,
                       case when t.invalid_item is not null and (t.invalid_value is null or t.invalid_item <= t.invalid_value) then '{{MeasurementError.InvalidItemCode}}'
                            when t.invalid_value is not null then '{{MeasurementError.InvalidValueCode}}' end as error_code,
                       least(t.invalid_item, t.invalid_value) as error_item_id,
                       t.input_hash,
                       (select a.input_hash from weekly_aggregates a where a.team_id = $1 and a.week_start = $2) as stored_hash
                from team t
            )
            select c.respondents, c.responses, c.error_code, c.error_item_id, c.input_hash, c.stored_hash, s.n, s.mean, s.sd, s.se
            from checked c
            left join lateral (
                select array[{{string.Join(", ", n)}}] as n,
                       array[{{string.Join(", ", mean)}}]::float8[] as mean,
                       array[{{string.Join(", ", sd)}}]::float8[] as sd,
                       array[{{string.Join(", ", se)}}]::float8[] as se
                from (
                    select r.respondent_id{{respondentScores}}
                    from (
                        select r.respondent_id, r.item_id, r.value, i.factor,
                               case when i.direction = '{{higherIsLess}}' then 1 - (r.value::float8 - i.lo) / i.span
                                    else (r.value::float8 - i.lo) / i.span end as score
                        from measurement_responses r
                        join items i on i.item_id = r.item_id
                        where r.team_id = $1 and r.week_start = $2
                    ) r
                    group by r.respondent_id
                ) per_respondent_scores
                having $5 and c.error_code is null and ($6 or c.input_hash is distinct from c.stored_hash)
            ) s on true
            """;
    }
}
