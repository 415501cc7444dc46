using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Reliability;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>
/// Smoke test of the OTLP exporter: a built host (the CLI, its own process, as deployed) pointed at a local listener
/// with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> and <c>http/protobuf</c> posts its run's spans there when the verb ends.
/// </summary>
public sealed class OtlpExportTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task A_cli_run_posts_its_traces_as_protobuf_to_the_otlp_endpoint_with_the_runner_postgres_and_azure_sdk_spans()
    {
        await using var collector = await OtlpListener.StartAsync();
        var (org, _) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(2);
        var settings = new Dictionary<string, string?>(fixture.Settings)
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        };

        await using var child = ChildHost.Start(settings, "run-weekly", "--org", org.ToString(), "--mode", "PIPELINE_ONLY");
        Assert.True(await child.WaitForExitAsync(TimeSpan.FromSeconds(90)) == 0, child.Describe());

        var traces = collector.Posts.Where(post => post.Path == "/v1/traces").ToList();
        Assert.NotEmpty(traces);
        Assert.All(traces, post => Assert.Equal("application/x-protobuf", post.ContentType));
        // Span and instrumentation scope names travel as plain strings: no decoding needed to see which arrived.
        Assert.Contains(traces, post => post.Mentions("weekly.run") && post.Mentions("InPsyq.Weekly"));
        Assert.Contains(traces, post => post.Mentions("weekly.team"));
        Assert.Contains(traces, post => post.Mentions("Npgsql"));
        Assert.Contains(traces, post => post.Mentions("Azure.Storage.Blobs"));
    }
}
