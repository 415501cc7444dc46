using System.Net;
using System.Text.Json;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary>One recorded attempt of <c>scheduled_job_executions</c>.</summary>
public sealed record Attempt(int Number, string Trigger, string Status, string? Error, long? DurationMs, string? Result, string? Host);

/// <summary>Test jobs, runners and schedulers over a fixture's database, on a fake clock.</summary>
internal static class JobKit
{
    /// <summary>Wednesday 2025-10-22 10:00:30 UTC: no built-in schedule fires in the next minutes but the reaper's.</summary>
    public static readonly DateTimeOffset Start = new(2025, 10, 22, 10, 0, 30, TimeSpan.Zero);

    public static JobDefinition Job(
        string id, JobHandler? handler = null, string schedule = "0 0 * * * *", TimeSpan? timeout = null, RetryPolicy? retry = null) =>
        new(id, id, schedule, handler ?? ((_, _) => Task.FromResult<JobOutcome?>(JobOutcome.Succeeded()))) { Timeout = timeout, Retry = retry };

    /// <summary>A runner over exactly <paramref name="jobs"/> (no built-in job), recording into the fixture's database.</summary>
    public static JobRunner Runner(IntegrationFixture fixture, TimeProvider time, params JobDefinition[] jobs) =>
        Runner(fixture.CreateServices(), new JobRegistry(jobs), time);

    public static JobRunner Runner(IServiceProvider services, JobRegistry registry, TimeProvider time, IJitterSource? jitter = null) =>
        new(registry,
            services.GetRequiredService<JobExecutionLog>(),
            services.GetRequiredService<JobOverlapGuard>(),
            jitter ?? services.GetRequiredService<IJitterSource>(),
            services.GetRequiredService<IOptions<Configuration.JobsOptions>>(),
            time,
            NullLogger<JobRunner>.Instance);

    public static JobScheduler Scheduler(
        JobRegistry registry, JobRunner runner, FakeTimeProvider time, ILoggerProvider logs, int maxConcurrency = 2)
    {
        using var loggers = new LoggerFactory([logs]);
        return new(registry,
            runner,
            Options.Create(new Configuration.JobsOptions { MaxConcurrency = maxConcurrency, ShutdownGraceSeconds = 5 }),
            time,
            loggers.CreateLogger<JobScheduler>());
    }

    public static async Task<List<Attempt>> AttemptsAsync(NpgsqlDataSource dataSource, string jobId)
    {
        await using var command = dataSource.CreateCommand("""
            select attempt, trigger, status, error, duration_ms, result::text, host from scheduled_job_executions
            where job_id = $1 order by started_at, attempt
            """);
        command.Parameters.Add(new() { Value = jobId });
        var attempts = new List<Attempt>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            attempts.Add(new Attempt(
                reader.GetInt32(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return attempts;
    }

    /// <summary>Inserts one attempt row directly (for histories a real runner cannot produce quickly).</summary>
    public static async Task AddAttemptAsync(NpgsqlDataSource dataSource, string jobId, string status, DateTimeOffset startedAt)
    {
        await using var command = dataSource.CreateCommand("""
            insert into scheduled_job_executions (job_id, execution_id, attempt, status, started_at, completed_at)
            values ($1, gen_random_uuid(), 1, $2, $3, case when $2 = 'running' then null else $3 + interval '1 second' end)
            """);
        command.Parameters.Add(new() { Value = jobId });
        command.Parameters.Add(new() { Value = status });
        command.Parameters.Add(new() { Value = startedAt });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>POSTs <c>/api/internal/jobs/{id}/run</c> with the admin secret; returns the status and the JSON body.</summary>
    public static Task<(HttpStatusCode Status, JsonElement Body)> RunOverHttpAsync(RunningServer server, string jobId, string? secret = TestEnvironment.AdminSecret) =>
        PostOverHttpAsync(server, $"/api/internal/jobs/{jobId}/run", secret);

    public static Task<(HttpStatusCode Status, JsonElement Body)> CancelOverHttpAsync(RunningServer server, string jobId) =>
        PostOverHttpAsync(server, $"/api/internal/jobs/{jobId}/cancel", TestEnvironment.AdminSecret);

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostOverHttpAsync(RunningServer server, string path, string? secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (secret is not null)
        {
            request.Headers.Add("X-ADMIN-SECRET", secret);
        }

        using var response = await server.Client.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    /// <summary>Advances the fake clock in small steps, letting continuations run, until the condition holds.</summary>
    public static async Task AdvanceUntilAsync(FakeTimeProvider time, TimeSpan step, Func<bool> condition, string what)
    {
        var giveUp = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < giveUp, $"Timed out advancing the clock until {what}.");
            time.Advance(step);
            await Task.Delay(5);
        }
    }
}
