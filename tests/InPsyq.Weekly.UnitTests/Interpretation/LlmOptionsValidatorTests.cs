using InPsyq.Weekly.Interpretation;

namespace InPsyq.Weekly.UnitTests.Interpretation;

public sealed class LlmOptionsValidatorTests
{
    private readonly LlmOptionsValidator _validator = new();

    [Fact]
    public void Defaults_without_an_endpoint_select_the_offline_interpreter()
    {
        var options = new LlmOptions();

        Assert.True(_validator.Validate(null, options).Succeeded);
        Assert.False(options.UsesAzureOpenAI);
    }

    [Fact]
    public void A_complete_azure_configuration_is_valid()
    {
        var options = new LlmOptions { Endpoint = new Uri("https://example.openai.azure.com/"), Deployment = "gpt-4o" };

        Assert.True(_validator.Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("https://example.openai.azure.com/", null, null, "AZURE_OPENAI_DEPLOYMENT")]
    [InlineData("http://example.openai.azure.com/", "gpt-4o", null, "AZURE_OPENAI_ENDPOINT")]
    [InlineData(null, "gpt-4o", null, "AZURE_OPENAI_ENDPOINT")]
    [InlineData(null, null, "some-key-value", "AZURE_OPENAI_ENDPOINT")]
    public void Incomplete_azure_settings_are_refused_naming_the_setting(string? endpoint, string? deployment, string? key, string setting)
    {
        var options = new LlmOptions { Endpoint = endpoint is null ? null : new Uri(endpoint), Deployment = deployment, ApiKey = key };

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(setting, result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("some-key-value", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("LLM_TIMEOUT_SECONDS")]
    [InlineData("LLM_MAX_ATTEMPTS")]
    [InlineData("LLM_MAX_RETRY_AFTER_SECONDS")]
    [InlineData("LLM_RETRY_DELAY_SECONDS")]
    [InlineData("LLM_MAX_CONCURRENCY")]
    public void Out_of_range_limits_are_refused_naming_the_setting(string setting)
    {
        var options = new LlmOptions();
        switch (setting)
        {
            case "LLM_TIMEOUT_SECONDS": options.TimeoutSeconds = 0; break;
            case "LLM_MAX_ATTEMPTS": options.MaxAttempts = 0; break;
            case "LLM_MAX_RETRY_AFTER_SECONDS": options.MaxRetryAfterSeconds = -1; break;
            case "LLM_RETRY_DELAY_SECONDS": options.RetryDelaySeconds = 0; break;
            default: options.MaxConcurrency = 0; break;
        }

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(setting, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void The_key_never_appears_in_the_options_text()
    {
        var options = new LlmOptions { Endpoint = new Uri("https://example.openai.azure.com/"), Deployment = "gpt-4o", ApiKey = "some-key-value" };

        Assert.DoesNotContain("some-key-value", options.ToString(), StringComparison.Ordinal);
    }
}
