using InPsyq.Weekly.Http;
using InPsyq.Weekly.Security;
using Microsoft.AspNetCore.Http;
using Npgsql;
using NpgsqlTypes;

namespace InPsyq.Weekly.Diagnostics;

/// <summary>
/// <c>GET /api/internal/diag/jobs</c> (admin secret): the most recent attempts in <c>scheduled_job_executions</c>,
/// newest first, with filters <c>job_id</c>, <c>status</c> and <c>limit</c> (default 50, at most 200).
/// </summary>
public sealed class JobsDiagEndpoint(NpgsqlDataSource dataSource, SecretAuthenticator authenticator)
{
    public const string Route = "internal/diag/jobs";

    public async Task<IResult> ListAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!authenticator.IsAuthorized(request, SecretKind.Admin))
        {
            return JsonResponse.Error(Errors.Unauthorized);
        }

        if (DiagQuery.TryReadLimit(request.Query, out var limit) is { } invalidLimit)
        {
            return JsonResponse.Error(invalidLimit);
        }

        await using var command = dataSource.CreateCommand("""
            select id, job_id, execution_id, attempt, trigger, status, started_at, completed_at, duration_ms, error, result, metrics, host,
                   cancel_requested_at
            from scheduled_job_executions
            where ($1::text is null or job_id = $1) and ($2::text is null or status = $2)
            order by started_at desc, id desc
            limit $3
            """);
        command.Parameters.Add(new() { Value = (object?)request.Query["job_id"].FirstOrDefault() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)request.Query["status"].FirstOrDefault() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = limit });
        var executions = await DiagQuery.ReadRowsAsync(command, cancellationToken);
        return new JsonResponse(200, new { executions });
    }
}
