using System.Net;
using InPsyq.Weekly.Health;
using InPsyq.Weekly.Interpretation;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.LlmQuota;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>The <c>llm</c> health check against a real local HTTP endpoint.</summary>
public sealed class LlmHealthCheckTests
{
    [Fact]
    public async Task Offline_mode_is_healthy_and_says_so()
    {
        var result = await Check(endpoint: null).CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Contains("Offline", result.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound, HealthStatus.Healthy)]
    [InlineData(HttpStatusCode.Unauthorized, HealthStatus.Healthy)]
    [InlineData(HttpStatusCode.InternalServerError, HealthStatus.Degraded)]
    [InlineData(HttpStatusCode.ServiceUnavailable, HealthStatus.Degraded)]
    public async Task The_endpoint_is_healthy_when_it_answers_below_500(HttpStatusCode answer, HealthStatus expected)
    {
        await using var endpoint = WebApplication.CreateSlimBuilder().Build();
        endpoint.Urls.Add(Loopback.AnyPort);
        endpoint.Run(context =>
        {
            context.Response.StatusCode = (int)answer;
            return Task.CompletedTask;
        });
        await endpoint.StartAsync();
        var address = Loopback.AddressOf(endpoint);

        var result = await Check(address).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(expected, result.Status);
        Assert.Equal(((int)answer).ToString(System.Globalization.CultureInfo.InvariantCulture), HealthObservation.ValueIn(result.Data));
    }

    [Fact]
    public async Task An_endpoint_that_refuses_connections_is_degraded_not_unhealthy()
    {
        var result = await Check(new Uri("http://127.0.0.1:9/")).CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.DoesNotContain("127.0.0.1", result.Description, StringComparison.Ordinal);
    }

    private static LlmHealthCheck Check(Uri? endpoint)
    {
        var httpClients = new ServiceCollection().AddHttpClient().BuildServiceProvider().GetRequiredService<IHttpClientFactory>();
        return new LlmHealthCheck(Options.Create(new LlmOptions { Endpoint = endpoint, Deployment = "gpt" }), httpClients, QuotaGovernors.Ungoverned());
    }
}
