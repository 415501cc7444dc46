using System.Globalization;
using System.Text.Json;
using InPsyq.Weekly.Http;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Security;
using Microsoft.AspNetCore.Http;
using Npgsql;
using NpgsqlTypes;

namespace InPsyq.Weekly.Diagnostics;

/// <summary>
/// <c>GET /api/internal/diag/weekly-runs</c> (admin secret): the run history, newest first, with filters
/// <c>week_start</c>, <c>status</c>, <c>trigger</c> and <c>limit</c> (default 50, at most 200); and
/// <c>GET …/weekly-runs/{run_id}</c>: one run with its per-team stage results.
/// </summary>
public sealed class WeeklyRunsDiagEndpoint(NpgsqlDataSource dataSource, SecretAuthenticator authenticator)
{
    public const string Route = "internal/diag/weekly-runs";
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    private const string Columns = """
        run_id, trigger, week_start, week_label, scope, mode, force, status, error, host, started_at, finished_at, duration_ms,
        orgs_total, orgs_succeeded, orgs_failed, teams_total, teams_succeeded, teams_failed, teams_skipped,
        aggregates_written, aggregates_skipped, attributions_written, attributions_skipped,
        interpretations_written, interpretations_skipped, interpretations_failed, llm_tokens_in, llm_tokens_out, notes
        """;

    public async Task<IResult> ListAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!authenticator.IsAuthorized(request, SecretKind.Admin))
        {
            return JsonResponse.Error(Errors.Unauthorized);
        }

        var query = request.Query;
        var limit = DefaultLimit;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return JsonResponse.Error(ApiError.BadRequest("INVALID_LIMIT", $"limit must be an integer from 1 to {MaxLimit}.", "limit"));
        }

        DateOnly? week = null;
        if (query.TryGetValue("week_start", out var weekText))
        {
            if (!DateOnly.TryParseExact(weekText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
            {
                return JsonResponse.Error(ApiError.BadRequest("INVALID_DATE", "week_start must be a date written YYYY-MM-DD.", "week_start"));
            }

            week = parsed;
        }

        await using var command = dataSource.CreateCommand($"""
            select {Columns} from weekly_runs
            where ($1::date is null or week_start = $1) and ($2::text is null or status = $2) and ($3::text is null or trigger = $3)
            order by started_at desc, run_id desc
            limit $4
            """);
        command.Parameters.Add(new() { Value = (object?)week ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.Add(new() { Value = (object?)query["status"].FirstOrDefault() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)query["trigger"].FirstOrDefault() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = limit });
        var runs = await ReadRunsAsync(command, withDetails: false, cancellationToken);
        return new JsonResponse(200, new { runs });
    }

    public async Task<IResult> GetAsync(HttpRequest request, string runId, CancellationToken cancellationToken)
    {
        if (!authenticator.IsAuthorized(request, SecretKind.Admin))
        {
            return JsonResponse.Error(Errors.Unauthorized);
        }

        if (!Guid.TryParseExact(runId, "D", out var id))
        {
            return JsonResponse.Error(ApiError.BadRequest("INVALID_UUID", "run_id must be a UUID.", "run_id"));
        }

        await using var command = dataSource.CreateCommand($"select {Columns}, details from weekly_runs where run_id = $1");
        command.Parameters.Add(new() { Value = id });
        var runs = await ReadRunsAsync(command, withDetails: true, cancellationToken);
        return runs.Count == 0
            ? JsonResponse.Error(new ApiError(404, "RUN_NOT_FOUND", $"No run with run_id {id}.", "run_id"))
            : new JsonResponse(200, runs[0]);
    }

    private static async Task<List<Dictionary<string, object?>>> ReadRunsAsync(NpgsqlCommand command, bool withDetails, CancellationToken cancellationToken)
    {
        var runs = new List<Dictionary<string, object?>>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var run = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
                run[reader.GetName(i)] = value switch
                {
                    DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    string json when reader.GetDataTypeName(i) == "jsonb" => JsonDocument.Parse(json).RootElement.Clone(),
                    _ => value,
                };
            }

            if (!withDetails)
            {
                run.Remove("details");
            }

            runs.Add(run);
        }

        return runs;
    }
}
