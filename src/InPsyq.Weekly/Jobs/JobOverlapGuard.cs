using Npgsql;

namespace InPsyq.Weekly.Jobs;

/// <summary>
/// Keeps a job from overlapping itself across hosts: a session-level Postgres advisory lock per job id, held on a
/// dedicated connection while the job runs. A crashed host's session ends, and its locks with it.
/// </summary>
public sealed class JobOverlapGuard(NpgsqlDataSource dataSource)
{
    private const string KeyPrefix = "inpsyq-job:";

    /// <summary>
    /// SQL that is true while some session holds the lock of the job id in <paramref name="jobIdParameter"/> (a bigint
    /// advisory key shows in <c>pg_locks</c> as its high half in classid, its low half in objid, objsubid 1).
    /// </summary>
    internal static string HeldAnywhereSql(string jobIdParameter) => $"""
        exists (select 1 from pg_locks
                where locktype = 'advisory' and granted and objsubid = 1
                  and ((classid::bigint << 32) | objid::bigint) = hashtextextended('{KeyPrefix}' || {jobIdParameter}, 0))
        """;

    /// <summary>The held lock, or null when another session holds it.</summary>
    public async Task<IAsyncDisposable?> TryAcquireAsync(string jobId, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand("select pg_try_advisory_lock(hashtextextended($1, 0))", connection);
            command.Parameters.Add(new() { Value = KeyPrefix + jobId });
            if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!)
            {
                return new HeldJobLock(connection, KeyPrefix + jobId);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    private sealed class HeldJobLock(NpgsqlConnection connection, string key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = new NpgsqlCommand("select pg_advisory_unlock(hashtextextended($1, 0))", connection);
                command.Parameters.Add(new() { Value = key });
                await command.ExecuteScalarAsync(CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // The session is broken, and a closed session holds no advisory lock.
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
