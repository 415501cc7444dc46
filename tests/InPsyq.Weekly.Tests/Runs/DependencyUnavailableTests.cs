using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Runs;

/// <summary>A dependency that does not answer refuses the run with 503 before any lock or write.</summary>
public sealed class DependencyUnavailableTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    // Nothing listens on port 9 (discard) on loopback: connections are refused at once.
    private const string DeadBlobEndpoint =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;";

    [Fact]
    public async Task Blob_storage_down_gives_503_naming_it_with_Retry_After_and_writes_nothing()
    {
        var services = fixture.CreateServices(new Dictionary<string, string?> { ["BLOB_CONNECTION_STRING"] = DeadBlobEndpoint });

        var result = await services.GetRequiredService<WeeklyRunner>().RunAsync(RunnerHarness.Request(), RunTrigger.Http, CancellationToken.None);

        var refusal = result.Refusal!;
        Assert.Equal((RefusalKind.Unavailable, "DEPENDENCY_UNAVAILABLE"), (refusal.Kind, refusal.Code));
        Assert.Contains("blob_storage", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(30), refusal.RetryAfter);
        Assert.Equal(0, await fixture.CountAsync("weekly_runs"));
    }

    [Fact]
    public async Task Postgres_down_gives_503_naming_it_and_never_its_address()
    {
        var services = fixture.CreateServices(new Dictionary<string, string?>
        {
            ["POSTGRES_CONNECTION_STRING"] = "Host=127.0.0.1;Port=9;Username=inpsyq;Password=secret-password-value;Database=inpsyq;Timeout=2",
        });

        var result = await services.GetRequiredService<WeeklyRunner>().RunAsync(RunnerHarness.Request(), RunTrigger.Http, CancellationToken.None);

        var refusal = result.Refusal!;
        Assert.Equal((RefusalKind.Unavailable, "DEPENDENCY_UNAVAILABLE"), (refusal.Kind, refusal.Code));
        Assert.Contains("postgres", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-password-value", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Port=9", refusal.Message, StringComparison.Ordinal);
    }
}
