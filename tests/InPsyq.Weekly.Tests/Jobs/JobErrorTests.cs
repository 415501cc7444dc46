using System.Net;
using Azure.Storage.Blobs;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Reliability;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary>
/// A handler's exception is recorded and answered as a code: its message, which names the address it could not
/// reach, goes to the log only.
/// </summary>
public sealed class JobErrorTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Theory]
    [InlineData("postgres", "DEPENDENCY_UNAVAILABLE: postgres became unavailable during the job; see the logs for execution ")]
    [InlineData("blob_storage", "DEPENDENCY_UNAVAILABLE: blob_storage became unavailable during the job; see the logs for execution ")]
    [InlineData("other", "HANDLER_FAILED: the job failed with an unexpected error; see the logs for execution ")]
    public async Task A_failing_handler_is_recorded_and_answered_with_its_code_and_no_address(string reaches, string expectedError)
    {
        var port = ChildHost.FreePort();
        var address = $"127.0.0.1:{port}";
        var jobId = $"reaches-{reaches.Replace('_', '-')}";
        var logs = new CapturingLoggerProvider();
        await using var server = await fixture.StartServerAsync(
            configure: services => services.AddSingleton(JobKit.Job(jobId, (_, cancellationToken) => ReachAsync(reaches, port, cancellationToken))),
            logs: logs);

        var (status, body) = await JobKit.RunOverHttpAsync(server, jobId);
        var result = await server.Services.GetRequiredService<JobRunner>().RunAsync(jobId, JobTrigger.Manual, CancellationToken.None);

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal(expectedError + body.GetProperty("execution_id").GetGuid(), body.GetProperty("error").GetString());
        Assert.DoesNotContain("127.0.0.1", body.GetRawText(), StringComparison.Ordinal);
        Assert.Equal((JobStatus.Failed, expectedError + result.ExecutionId), (result.Status, result.Error));
        var attempts = await JobKit.AttemptsAsync(fixture.DataSource, jobId);
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, attempt => Assert.Equal(("failed", true), (attempt.Status, attempt.Error!.StartsWith(expectedError, StringComparison.Ordinal))));
        Assert.All(attempts, attempt => Assert.DoesNotContain("127.0.0.1", attempt.Error, StringComparison.Ordinal));
        Assert.Contains(logs.Lines, line =>
            line.Contains($"Job {jobId} execution {result.ExecutionId} attempt 1: the handler failed", StringComparison.Ordinal)
            && line.Contains(address, StringComparison.Ordinal));
    }

    /// <summary>Reaches for a dependency on a closed loopback port: the real client's exception names the address.</summary>
    private static async Task<JobOutcome?> ReachAsync(string reaches, int port, CancellationToken cancellationToken)
    {
        switch (reaches)
        {
            case "postgres":
                await using (var dataSource = NpgsqlDataSource.Create($"Host=127.0.0.1;Port={port};Database=none;Username=none;Password=none;Timeout=2"))
                {
                    await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                }

                break;
            case "blob_storage":
                var options = new BlobClientOptions { Retry = { MaxRetries = 0 } };
                await new BlobContainerClient(new Uri($"http://127.0.0.1:{port}/devstoreaccount1/none"), options).GetPropertiesAsync(cancellationToken: cancellationToken);
                break;
            default:
                throw new InvalidOperationException($"No answer from 127.0.0.1:{port}.");
        }

        return JobOutcome.Succeeded();
    }
}
