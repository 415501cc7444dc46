using InPsyq.Weekly.LlmQuota;

namespace InPsyq.Weekly.UnitTests.LlmQuota;

public sealed class PromptTokenEstimatorTests
{
    [Fact]
    public void Before_any_report_a_prompt_is_estimated_on_the_safe_side_at_a_third_of_a_token_per_character()
    {
        Assert.Equal(1000, new PromptTokenEstimator().Estimate(3000));
    }

    [Fact]
    public void Reports_move_the_estimate_to_what_the_service_counts_with_a_small_margin()
    {
        var estimator = new PromptTokenEstimator();

        estimator.Learn(4000, 1000);
        var afterOne = estimator.Estimate(4000);
        for (var i = 0; i < 30; i++)
        {
            estimator.Learn(4000, 1200);
        }

        Assert.Equal(1030, afterOne);
        Assert.InRange(estimator.Estimate(4000), 1236 - 2, 1236 + 1);
    }

    [Fact]
    public void A_report_without_tokens_teaches_nothing()
    {
        var estimator = new PromptTokenEstimator();

        estimator.Learn(4000, 0);
        estimator.Learn(0, 1000);

        Assert.Equal(1334, estimator.Estimate(4000));
    }
}
