using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Ops;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary><c>retention-cleanup</c> with the default retention (runs 180 days, job attempts 30, inactive interpretations 180).</summary>
public sealed class RetentionCleanupJobTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task It_deletes_only_rows_past_retention_and_only_orphan_attribution_blobs_older_than_the_lock_ttl()
    {
        var now = DateTimeOffset.UtcNow;
        var rows = new RunRows(fixture.DataSource);
        var oldRun = await rows.AddAsync("completed", now.AddDays(-200));
        var keptRuns = new[] { await rows.AddAsync("completed", now.AddDays(-100)), await rows.AddAsync("running", now.AddDays(-200)) };
        await JobKit.AddAttemptAsync(fixture.DataSource, "old", "succeeded", now.AddDays(-40));
        await JobKit.AddAttemptAsync(fixture.DataSource, "recent", "failed", now.AddDays(-10));
        await JobKit.AddAttemptAsync(fixture.DataSource, "stuck", "running", now.AddDays(-40));
        await ExecuteAsync("""
            insert into weekly_interpretations (org_id, team_id, week_start, input_hash, model_id, prompt_version, sections, is_active, run_id, created_at)
            values (gen_random_uuid(), gen_random_uuid(), '2025-01-06', 'old-inactive', 'm', 'p', '{}', false, gen_random_uuid(), $1 - interval '200 days'),
                   (gen_random_uuid(), gen_random_uuid(), '2025-01-06', 'old-active', 'm', 'p', '{}', true, gen_random_uuid(), $1 - interval '200 days'),
                   (gen_random_uuid(), gen_random_uuid(), '2025-01-06', 'recent-inactive', 'm', 'p', '{}', false, gen_random_uuid(), $1 - interval '10 days');
            insert into alert_outbox (kind, dedup_group, scope, week_start, payload, status, created_at)
            values ('run_failed', 'old-sent', 'all', '2025-01-06', '{}', 'sent', $1 - interval '200 days'),
                   ('run_failed', 'old-pending', 'all', '2025-01-06', '{}', 'pending', $1 - interval '200 days'),
                   ('run_failed', 'recent-failed', 'all', '2025-01-06', '{}', 'failed', $1 - interval '10 days');
            insert into alert_incidents (dedup_group, scope, week_start, kind, opened_at, resolved_at)
            values ('old-resolved', 'all', '2025-01-06', 'run_failed', $1 - interval '300 days', $1 - interval '200 days'),
                   ('old-open', 'all', '2025-01-13', 'run_failed', $1 - interval '300 days', null),
                   ('recent-resolved', 'all', '2025-01-20', 'run_failed', $1 - interval '20 days', $1 - interval '10 days');
            """, now);
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(2);
        var week = new DateOnly(2025, 10, 13);
        await new TenantBuilder(fixture.DataSource).AddSeriesRowAsync(org, teams[0], week);
        var current = $"{org}/{week:yyyy-MM-dd}/{teams[0]}.json";
        var noSeries = $"{org}/{week:yyyy-MM-dd}/{teams[1]}.json";
        var teamGone = $"{org}/{week:yyyy-MM-dd}/{Guid.NewGuid()}.json";
        foreach (var name in new[] { current, noSeries, teamGone, "notes/readme.txt" })
        {
            await fixture.BlobService.GetBlobContainerClient(fixture.AttributionContainer).GetBlobClient(name).UploadAsync(BinaryData.FromString("{}"));
        }

        // First on the real clock: every blob is younger than the lock TTL, so none may be deleted yet.
        var fresh = await RunAsync(TimeProvider.System);
        Assert.Equal(0, fresh.Metrics!["orphan_attribution_blobs"]);
        Assert.Equal(4, (await fixture.ListBlobsAsync(fixture.AttributionContainer)).Count);
        var result = await RunAsync(new FakeTimeProvider(now.AddHours(1)));

        Assert.Equal(JobStatus.Succeeded, result.Status);
        Assert.Equal([current, "notes/readme.txt"], (await fixture.ListBlobsAsync(fixture.AttributionContainer)).Order(StringComparer.Ordinal));
        Assert.Equal(2, result.Metrics!["orphan_attribution_blobs"]);
        Assert.Equal(1, fresh.Metrics["weekly_runs"]);
        Assert.Equal(keptRuns.Order(), (await IdsAsync("select run_id from weekly_runs")).Order());
        Assert.DoesNotContain(oldRun, await IdsAsync("select run_id from weekly_runs"));
        Assert.Equal(["recent", "stuck"], await TextsAsync("select job_id from scheduled_job_executions where job_id <> 'retention-cleanup' order by job_id"));
        Assert.Equal(["old-active", "recent-inactive"], await TextsAsync("select input_hash from weekly_interpretations order by input_hash"));
        Assert.Equal(["old-pending", "recent-failed"], await TextsAsync("select dedup_group from alert_outbox order by dedup_group"));
        Assert.Equal(["old-open", "recent-resolved"], await TextsAsync("select dedup_group from alert_incidents order by dedup_group"));
    }

    private async Task<JobResult> RunAsync(TimeProvider clock) =>
        await fixture.CreateServices(configure: services => services.AddSingleton(clock))
            .GetRequiredService<JobRunner>().RunAsync(RetentionCleanupJob.Id, JobTrigger.Manual, CancellationToken.None);

    private async Task ExecuteAsync(string sql, DateTimeOffset now)
    {
        await using var batch = fixture.DataSource.CreateBatch();
        foreach (var statement in sql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var command = new Npgsql.NpgsqlBatchCommand(statement);
            command.Parameters.Add(new() { Value = now });
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync();
    }

    private async Task<List<Guid>> IdsAsync(string sql)
    {
        await using var command = fixture.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private async Task<List<string>> TextsAsync(string sql)
    {
        await using var command = fixture.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var texts = new List<string>();
        while (await reader.ReadAsync())
        {
            texts.Add(reader.GetString(0));
        }

        return texts;
    }
}
