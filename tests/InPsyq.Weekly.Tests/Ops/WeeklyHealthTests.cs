using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs.Specialized;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>
/// The health rules over the standalone host, on a history written directly into <c>weekly_runs</c>, at a fixed
/// "now": Wednesday 2026-11-25 12:00 UTC, so the due week (deadline passed) is 2026-11-16 (W47).
/// </summary>
public sealed class WeeklyHealthTests(WeeklyHealthTests.Fixture fixture) : IClassFixture<WeeklyHealthTests.Fixture>, IAsyncLifetime
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly IsoWeek s_dueWeek = IsoWeek.FromMonday(new DateOnly(2026, 11, 16));
    private static readonly DateTimeOffset s_dueRunAt = s_dueWeek.EndUtc.AddHours(2);

    private readonly RunRows _runs = new(fixture.DataSource);

    public sealed class Fixture : IntegrationFixture
    {
        public RunningServer Server { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Server = await StartServerAsync(configure: services => services.AddSingleton<TimeProvider>(new FakeTimeProvider(s_now)));
        }
    }

    public Task InitializeAsync() => _runs.ClearAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Healthy_when_the_due_week_completed_answers_200_no_store_without_secrets()
    {
        await _runs.AddAsync("completed", s_dueRunAt, s_dueWeek);

        var (response, body, text) = await GetHealthAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        foreach (var check in new[] { "postgres", "blob_storage", "auth", "weekly_run", "locks", "jobs", "work_queue" })
        {
            Assert.Equal("healthy", Status(body, check));
        }

        Assert.Equal("completed", body.GetProperty("checks").GetProperty("weekly_run").GetProperty("observed_value").GetString());
        var password = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString).Password;
        string[] secrets = [TestEnvironment.AdminSecret, TestEnvironment.CronSecret, "AccountKey", "Password=", "Host=", "127.0.0.1", "localhost"];
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase));
        if (!string.IsNullOrEmpty(password))
        {
            Assert.DoesNotContain(password, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_body_has_the_contract_shape()
    {
        await _runs.AddAsync("completed", s_dueRunAt, s_dueWeek);

        var (_, body, _) = await GetHealthAsync();

        Assert.Equal(["status", "checked_at", "version", "checks"], body.EnumerateObject().Select(property => property.Name));
        Assert.Equal(s_now, body.GetProperty("checked_at").GetDateTimeOffset());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("version").GetString()));
        var checks = body.GetProperty("checks");
        Assert.Equal(["postgres", "blob_storage", "auth", "weekly_run", "locks", "jobs", "work_queue", "llm"], checks.EnumerateObject().Select(check => check.Name));
        Assert.All(checks.EnumerateObject(), check =>
        {
            Assert.Equal(["status", "observed_value", "observed_unit", "message", "duration_ms"], check.Value.EnumerateObject().Select(property => property.Name));
            Assert.True(check.Value.GetProperty("duration_ms").GetInt64() >= 0);
        });
        var postgres = checks.GetProperty("postgres");
        Assert.Equal(JsonValueKind.String, postgres.GetProperty("observed_value").ValueKind);
        Assert.Equal("schema_version", postgres.GetProperty("observed_unit").GetString());
    }

    [Fact]
    public async Task No_run_at_all_is_degraded_no_run_yet()
    {
        var (response, body, _) = await GetHealthAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        Assert.Equal("degraded", Status(body, "weekly_run"));
        Assert.Contains("No run yet", Message(body, "weekly_run"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_due_week_without_a_counting_run_is_unhealthy_whatever_else_ran()
    {
        await _runs.AddAsync("completed", s_dueRunAt.AddDays(-7), s_dueWeek.AddWeeks(-1));
        await _runs.AddAsync("completed", s_dueRunAt, s_dueWeek, orgId: Guid.NewGuid());
        await _runs.AddAsync("completed", s_dueRunAt.AddMinutes(1), s_dueWeek, mode: "PIPELINE_ONLY");
        await _runs.AddAsync("failed", s_dueRunAt.AddMinutes(2), s_dueWeek);

        var (response, body, _) = await GetHealthAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("unhealthy", body.GetProperty("status").GetString());
        Assert.Equal("unhealthy", Status(body, "weekly_run"));
        Assert.Contains(s_dueWeek.Label, Message(body, "weekly_run"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_partial_latest_counting_run_is_degraded()
    {
        await _runs.AddAsync("completed", s_dueRunAt, s_dueWeek);
        await _runs.AddAsync("partial", s_dueRunAt.AddHours(1), s_dueWeek);

        var (response, body, _) = await GetHealthAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("degraded", Status(body, "weekly_run"));
        Assert.Equal("partial", body.GetProperty("checks").GetProperty("weekly_run").GetProperty("observed_value").GetString());
    }

    [Fact]
    public async Task The_last_two_finished_unscoped_runs_failing_is_degraded()
    {
        await _runs.AddAsync("completed", s_dueRunAt, s_dueWeek);
        await _runs.AddAsync("failed", s_now.AddHours(-2), IsoWeek.Containing(s_now), trigger: "http");
        await _runs.AddAsync("failed", s_now.AddHours(-1), IsoWeek.Containing(s_now), trigger: "http");

        var (_, body, _) = await GetHealthAsync();

        Assert.Equal("degraded", Status(body, "weekly_run"));
        Assert.Contains("last two", Message(body, "weekly_run"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_running_run_is_not_a_failure()
    {
        await _runs.AddAsync("completed", s_dueRunAt, s_dueWeek);
        await _runs.AddAsync("failed", s_now.AddHours(-2), IsoWeek.Containing(s_now));
        await _runs.AddAsync("running", s_now.AddMinutes(-1), IsoWeek.Containing(s_now));

        var (response, body, _) = await GetHealthAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("healthy", Status(body, "weekly_run"));
    }

    [Fact]
    public async Task A_run_still_in_progress_for_the_due_week_is_degraded_not_unhealthy()
    {
        await _runs.AddAsync("completed", s_dueRunAt.AddDays(-7), s_dueWeek.AddWeeks(-1));
        await _runs.AddAsync("running", s_now.AddMinutes(-1), s_dueWeek);

        var (_, body, _) = await GetHealthAsync();

        Assert.Equal("degraded", Status(body, "weekly_run"));
        Assert.Equal("running", body.GetProperty("checks").GetProperty("weekly_run").GetProperty("observed_value").GetString());
    }

    [Fact]
    public async Task A_locked_out_duplicate_is_not_a_failure()
    {
        await _runs.AddAsync("completed", s_dueRunAt, s_dueWeek);
        await _runs.AddAsync("failed", s_now.AddHours(-2), IsoWeek.Containing(s_now));
        await _runs.AddAsync("locked", s_now.AddHours(-1), IsoWeek.Containing(s_now));

        var (response, body, _) = await GetHealthAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("healthy", Status(body, "weekly_run"));
    }

    [Fact]
    public async Task A_lock_leased_past_its_expires_at_degrades_locks_and_one_within_its_TTL_does_not()
    {
        await _runs.AddAsync("completed", s_dueRunAt, s_dueWeek);
        var current = await LeaseLockAsync(LockKey.WholeWeek(IsoWeek.Containing(s_now)), s_now.AddMinutes(5));
        try
        {
            var (_, healthy, _) = await GetHealthAsync();
            Assert.Equal("healthy", Status(healthy, "locks"));

            var stale = await LeaseLockAsync(LockKey.WholeWeek(s_dueWeek), s_now.AddHours(-1));
            try
            {
                var (response, body, _) = await GetHealthAsync();
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.Equal("degraded", Status(body, "locks"));
                Assert.Contains($"{s_dueWeek}/all", Message(body, "locks"), StringComparison.Ordinal);
            }
            finally
            {
                await stale.ReleaseAsync();
            }
        }
        finally
        {
            await current.ReleaseAsync();
        }
    }

    [Fact]
    public async Task A_run_abandoned_in_the_last_7_days_degrades_locks_an_older_one_does_not()
    {
        await _runs.AddAsync("completed", s_dueRunAt, s_dueWeek);
        await _runs.AddAsync("abandoned", s_now.AddDays(-10), s_dueWeek.AddWeeks(-2));
        var (_, before, _) = await GetHealthAsync();
        Assert.Equal("healthy", Status(before, "locks"));

        await _runs.AddAsync("abandoned", s_now.AddDays(-2), s_dueWeek, trigger: "http");
        var (_, after, _) = await GetHealthAsync();
        Assert.Equal("degraded", Status(after, "locks"));
        Assert.Contains("1 run(s) abandoned", Message(after, "locks"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_whose_latest_finished_attempt_failed_degrades_jobs()
    {
        await _runs.AddAsync("completed", s_dueRunAt, s_dueWeek);
        await AddJobAttemptAsync("retention-cleanup", attempt: 1, "failed", s_now.AddHours(-3));
        await AddJobAttemptAsync("retention-cleanup", attempt: 1, "succeeded", s_now.AddHours(-2));
        await AddJobAttemptAsync("run-reaper", attempt: 1, "failed", s_now.AddHours(-2));
        await AddJobAttemptAsync("run-reaper", attempt: 2, "timed_out", s_now.AddHours(-1));
        await AddJobAttemptAsync("run-reaper", attempt: 1, "running", s_now.AddMinutes(-1));

        var (_, body, _) = await GetHealthAsync();

        Assert.Equal("degraded", Status(body, "jobs"));
        var message = Message(body, "jobs");
        Assert.Contains("run-reaper (timed_out)", message, StringComparison.Ordinal);
        Assert.DoesNotContain("retention-cleanup", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_admin_secret_the_answer_is_401()
    {
        var response = await fixture.Server.Client.GetAsync(new Uri("/api/internal/health/weekly", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task<(HttpResponseMessage Response, JsonElement Body, string Text)> GetHealthAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/internal/health/weekly");
        request.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);
        var response = await fixture.Server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, JsonDocument.Parse(text).RootElement.Clone(), text);
    }

    private static string Status(JsonElement body, string check) =>
        body.GetProperty("checks").GetProperty(check).GetProperty("status").GetString()!;

    private static string Message(JsonElement body, string check) =>
        body.GetProperty("checks").GetProperty(check).GetProperty("message").GetString()!;

    /// <summary>A lock blob leased with holder metadata whose <c>expires_at</c> is given, as a holder writes it.</summary>
    private async Task<BlobLeaseClient> LeaseLockAsync(LockKey key, DateTimeOffset expiresAt)
    {
        var blob = fixture.BlobService.GetBlobContainerClient(fixture.LockContainer).GetBlobClient(key.BlobName);
        await blob.UploadAsync(BinaryData.Empty, overwrite: true);
        var holder = new LockHolder(Guid.NewGuid(), "schedule", "FULL", "all", expiresAt.AddMinutes(-10), expiresAt, "test-host");
        await blob.SetMetadataAsync(holder.ToMetadata());
        var lease = blob.GetBlobLeaseClient();
        await lease.AcquireAsync(TimeSpan.FromSeconds(60));
        return lease;
    }

    private async Task AddJobAttemptAsync(string jobId, int attempt, string status, DateTimeOffset startedAt)
    {
        await using var command = fixture.DataSource.CreateCommand("""
            insert into scheduled_job_executions (job_id, execution_id, attempt, status, started_at, completed_at)
            values ($1, gen_random_uuid(), $2, $3, $4, case when $3 = 'running' then null else $4 + interval '1 second' end)
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = attempt });
        command.Parameters.Add(new() { Value = status });
        command.Parameters.Add(new() { Value = startedAt });
        await command.ExecuteNonQueryAsync();
    }
}
