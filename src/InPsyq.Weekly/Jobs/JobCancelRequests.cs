using Npgsql;

namespace InPsyq.Weekly.Jobs;

/// <summary>
/// Manual cancel requests across hosts, kept on the attempt rows of <c>scheduled_job_executions</c>
/// (<c>cancel_requested_at</c>): any host stamps the running execution of a job, the host running it polls its
/// execution and cancels it (<see cref="JobRunner"/>).
/// </summary>
public sealed class JobCancelRequests(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Stamps the latest attempt of the job while an execution of it runs on some host (its overlap lock is held);
    /// returns that execution's id, or null when the job is not running anywhere.
    /// </summary>
    public async Task<Guid?> RequestAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            update scheduled_job_executions set cancel_requested_at = coalesce(cancel_requested_at, now())
            where id = (select id from scheduled_job_executions where job_id = $1 order by started_at desc, attempt desc limit 1)
              and {JobOverlapGuard.HeldAnywhereSql("$1")}
            returning execution_id
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = jobId });
        return await command.ExecuteScalarAsync(cancellationToken) as Guid?;
    }

    /// <summary>Whether a cancel was requested for any attempt of the execution.</summary>
    public async Task<bool> IsRequestedAsync(Guid executionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select exists (select 1 from scheduled_job_executions where execution_id = $1 and cancel_requested_at is not null)");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = executionId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
