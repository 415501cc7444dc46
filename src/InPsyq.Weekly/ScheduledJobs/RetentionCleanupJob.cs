using Azure;
using Azure.Storage.Blobs.Models;
using InPsyq.Weekly.Attribution;
using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InPsyq.Weekly.ScheduledJobs;

/// <summary>
/// <c>retention-cleanup</c>: deletes finished runs, finished job attempts, inactive interpretations and closed alert
/// rows (outbox sent or failed, incidents resolved) older than their <c>RETENTION_*_DAYS</c> (alert rows follow
/// <c>RETENTION_RUNS_DAYS</c>), and orphan attribution blobs: <c>{org_id}/{week_start}/{team_id}.json</c> whose team
/// is gone or that have no <c>team_series</c> row for their week. Stage 2 writes the blob before its rows, so a
/// blob younger than the lock TTL may belong to a run in progress and is left alone.
/// </summary>
public sealed class RetentionCleanupJob(
    NpgsqlDataSource dataSource,
    WeeklyRunStore runs,
    JobExecutionLog executions,
    BlobStore blobs,
    IOptions<RetentionOptions> retention,
    IOptions<LockOptions> locks,
    TimeProvider time) : IJob
{
    public const string Id = "retention-cleanup";

    private const string OrphansSql = """
        select t.i::int from unnest($1::uuid[], $2::date[]) with ordinality as t(team_id, week_start, i)
        where not exists (select 1 from teams where teams.team_id = t.team_id)
           or not exists (select 1 from team_series s where s.team_id = t.team_id and s.week_start = t.week_start)
        """;

    public static JobDefinition Define(IServiceProvider services, JobHandler handler) =>
        new(Id, "Retention cleanup", services.GetRequiredService<IOptions<JobsOptions>>().Value.RetentionCleanupSchedule, handler)
        {
            Timeout = TimeSpan.FromMinutes(10),
            Retry = new RetryPolicy(2, TimeSpan.FromSeconds(30), 2, TimeSpan.FromMinutes(2)),
            HasAzureTimer = true,
        };

    public async Task<JobOutcome?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var options = retention.Value;
        var runsBefore = now.AddDays(-options.RunsDays);
        var deletedRuns = await runs.DeleteFinishedStartedBeforeAsync(runsBefore, cancellationToken);
        var deletedExecutions = await executions.DeleteFinishedStartedBeforeAsync(now.AddDays(-options.JobExecutionsDays), cancellationToken);
        await using var batch = dataSource.CreateBatch();
        AddDelete(batch, "delete from weekly_interpretations where not is_active and created_at < $1", now.AddDays(-options.InactiveInterpretationsDays));
        AddDelete(batch, "delete from alert_outbox where status in ('sent', 'failed') and created_at < $1", runsBefore);
        AddDelete(batch, "delete from alert_incidents where resolved_at < $1", runsBefore);
        await batch.ExecuteNonQueryAsync(cancellationToken);

        var orphans = await DeleteOrphanBlobsAsync(now - locks.Value.Ttl, cancellationToken);
        var metrics = new Dictionary<string, double>
        {
            ["weekly_runs"] = deletedRuns,
            ["scheduled_job_executions"] = deletedExecutions,
            ["inactive_interpretations"] = batch.BatchCommands[0].RecordsAffected,
            ["alert_outbox"] = batch.BatchCommands[1].RecordsAffected,
            ["alert_incidents"] = batch.BatchCommands[2].RecordsAffected,
            ["orphan_attribution_blobs"] = orphans.Count,
        };
        return JobOutcome.Succeeded(new { Deleted = metrics, OrphanBlobs = orphans }, metrics);
    }

    private static void AddDelete(NpgsqlBatch batch, string sql, DateTimeOffset before)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new() { Value = before });
        batch.BatchCommands.Add(command);
    }

    private async Task<List<string>> DeleteOrphanBlobsAsync(DateTimeOffset writtenBefore, CancellationToken cancellationToken)
    {
        var documents = new List<(BlobItem Blob, Guid TeamId, DateOnly Week)>();
        await foreach (var blob in blobs.Attribution.GetBlobsAsync(cancellationToken: cancellationToken))
        {
            if (blob.Properties.LastModified < writtenBefore && AttributionBlobs.TryParsePath(blob.Name, out var teamId, out var week))
            {
                documents.Add((blob, teamId, week));
            }
        }

        await using var command = dataSource.CreateCommand(OrphansSql);
        command.Parameters.Add(new() { Value = documents.Select(document => document.TeamId).ToArray() });
        command.Parameters.Add(new() { Value = documents.Select(document => document.Week).ToArray() });
        var orphans = new List<BlobItem>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                orphans.Add(documents[reader.GetInt32(0) - 1].Blob);
            }
        }

        var deleted = new List<string>();
        foreach (var orphan in orphans)
        {
            try
            {
                // If-Match: a document rewritten since the listing is current again.
                await blobs.Attribution.GetBlobClient(orphan.Name).DeleteAsync(
                    DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = orphan.Properties.ETag }, cancellationToken);
                deleted.Add(orphan.Name);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Gone or rewritten meanwhile: not an orphan to delete now.
            }
        }

        return deleted;
    }
}
