using System.Text.Json;
using InPsyq.Weekly.Http;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;

namespace InPsyq.Weekly.UnitTests.Http;

/// <summary>Where the domain's answers become HTTP: a refusal's kind and a run's status choose the status code.</summary>
public sealed class HttpErrorsTests
{
    [Theory]
    [InlineData(RefusalKind.Invalid, 400)]
    [InlineData(RefusalKind.NotFound, 404)]
    [InlineData(RefusalKind.Conflict, 409)]
    [InlineData(RefusalKind.Unavailable, 503)]
    public void A_refusal_gets_the_status_of_its_kind(RefusalKind kind, int expected)
    {
        var response = HttpErrors.For(new Refusal(kind, "CODE", "refused"));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
        Assert.False(response.Headers.ContainsKey("Retry-After"));
    }

    [Fact]
    public void Every_refusal_kind_has_a_status() =>
        Assert.All(Enum.GetValues<RefusalKind>(), kind => Assert.InRange(HttpErrors.StatusOf(kind), 400, 599));

    [Fact]
    public void A_locked_refusal_keeps_the_contracts_body_and_rounds_its_retry_up_to_whole_seconds()
    {
        var runId = Guid.Parse("11111111-1111-1111-1111-111111111111");
        var holder = new LockHolder(
            Guid.Parse("22222222-2222-2222-2222-222222222222"), "http", "FULL", "all", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddMinutes(10), "host-a");
        var response = HttpErrors.For(new LockedRefusal(runId, holder, "held") { RetryAfter = TimeSpan.FromSeconds(4.2) });

        var body = JsonSerializer.Serialize(response.Body, response.Body.GetType(), WeeklyJson.Options);

        Assert.Equal(409, response.StatusCode);
        Assert.Equal("5", response.Headers["Retry-After"]);
        Assert.Equal(
            """{"error":"LOCKED","message":"held","field":null,"run_id":"11111111-1111-1111-1111-111111111111","holder":{"run_id":"22222222-2222-2222-2222-222222222222","trigger":"http","mode":"FULL","scope":"all","acquired_at":"1970-01-01T00:00:00+00:00","expires_at":"1970-01-01T00:10:00+00:00","host":"host-a"}}""",
            body);
    }

    [Theory]
    [InlineData(RunStatus.Completed, 200)]
    [InlineData(RunStatus.Planned, 200)]
    [InlineData(RunStatus.Partial, 207)]
    [InlineData(RunStatus.Locked, 409)]
    [InlineData(RunStatus.Failed, 500)]
    public void A_run_report_gets_the_status_of_the_run(RunStatus status, int expected) =>
        Assert.Equal(expected, RunWeeklyEndpoint.StatusOf(status));
}
