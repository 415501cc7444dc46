using InPsyq.Weekly.Interpretation;

namespace InPsyq.Weekly.UnitTests.LlmQuota;

/// <summary>The quota settings: validated at start-up, naming the setting; 0 is no limit.</summary>
public sealed class QuotaSettingsTests
{
    private readonly LlmOptionsValidator _validator = new();

    [Fact]
    public void By_default_there_is_no_quota_and_each_request_asks_for_at_most_1500_output_tokens()
    {
        var options = new LlmOptions();

        Assert.Equal((0, 0, 1500), (options.RequestsPerMinute, options.TokensPerMinute, options.MaxOutputTokens));
        Assert.True(_validator.Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData(-1, 0, 1500, "LLM_REQUESTS_PER_MINUTE")]
    [InlineData(0, -1, 1500, "LLM_TOKENS_PER_MINUTE")]
    [InlineData(0, 0, 0, "LLM_MAX_OUTPUT_TOKENS")]
    [InlineData(0, 0, 128_001, "LLM_MAX_OUTPUT_TOKENS")]
    [InlineData(0, 1000, 1500, "LLM_TOKENS_PER_MINUTE")]
    public void Out_of_range_quota_settings_are_refused_naming_the_setting(int requests, int tokens, int maxOutput, string setting)
    {
        var options = new LlmOptions { RequestsPerMinute = requests, TokensPerMinute = tokens, MaxOutputTokens = maxOutput };

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(setting, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_quota_is_valid_with_or_without_the_other_limit()
    {
        Assert.True(_validator.Validate(null, new LlmOptions { RequestsPerMinute = 1200 }).Succeeded);
        Assert.True(_validator.Validate(null, new LlmOptions { TokensPerMinute = 1500 }).Succeeded);
    }
}
