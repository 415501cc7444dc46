using Microsoft.Extensions.Time.Testing;

namespace InPsyq.Weekly.Tests.LlmQuota;

/// <summary>The fake deployment's quota, which the governor's tests and the benchmark measure against.</summary>
public sealed class FakeQuotaTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_request_beyond_a_sixth_of_the_minute_is_refused_with_the_time_until_it_fits()
    {
        var quota = new FakeQuota(60, 0, _time);

        var admitted = Enumerable.Range(0, 10).Select(_ => quota.TryAdmit(100)).ToList();
        var refused = quota.TryAdmit(100);
        _time.Advance(TimeSpan.FromSeconds(1));
        var refilled = quota.TryAdmit(100);

        Assert.All(admitted, retryAfter => Assert.Null(retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(1), refused);
        Assert.Null(refilled);
        Assert.Equal(1, quota.Refused);
    }

    [Fact]
    public void Tokens_are_charged_on_arrival_against_their_own_limit()
    {
        var quota = new FakeQuota(0, 6000, _time);

        var first = quota.TryAdmit(800);
        var second = quota.TryAdmit(800);

        Assert.Null(first);
        Assert.Equal(TimeSpan.FromSeconds(6), second); // 200 left, 600 missing at 100 tokens/s
    }

    [Fact]
    public void Windows_count_what_was_admitted_and_refused_per_minute_from_the_first_arrival()
    {
        var quota = new FakeQuota(60, 0, _time);
        for (var i = 0; i < 12; i++)
        {
            quota.TryAdmit(10);
        }

        _time.Advance(TimeSpan.FromSeconds(70));
        quota.TryAdmit(10);

        Assert.Equal(
            [(10, 100L, 2), (1, 10L, 0)],
            quota.Windows().Select(window => (window.Requests, window.Tokens, window.Refused)));
    }

    [Fact]
    public void The_prompt_counts_a_quarter_of_its_characters_and_a_request_its_maximum_output()
    {
        var body = System.Text.Json.Nodes.JsonNode.Parse("""
            {"messages":[{"role":"system","content":"abcd"},{"role":"user","content":"efghij"}],
             "response_format":{"type":"json_schema","json_schema":{"schema":{"a":1}}},"max_tokens":700}
            """)!.AsObject();

        Assert.Equal(17, FakeOpenAIServer.PromptCharactersOf(body));
        Assert.Equal(5, FakeQuota.PromptTokensOf(17));
        Assert.Equal(700, FakeOpenAIServer.MaxOutputTokensOf(body));
    }
}
