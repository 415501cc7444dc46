using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.UnitTests.Scoring;

public class StandardScoreTests
{
    private const string ItemId = "q-load-3";

    [Theory]
    [InlineData(1.0, 1.0, 5.0, ItemDirection.HigherIsMore, 0.0)]    // lower bound is inclusive
    [InlineData(5.0, 1.0, 5.0, ItemDirection.HigherIsMore, 1.0)]    // upper bound is inclusive
    [InlineData(4.0, 1.0, 5.0, ItemDirection.HigherIsMore, 0.75)]   // (4 − 1) / (5 − 1)
    [InlineData(4.0, 1.0, 5.0, ItemDirection.HigherIsLess, 0.25)]   // 1 − 0.75
    [InlineData(1.0, 1.0, 5.0, ItemDirection.HigherIsLess, 1.0)]
    [InlineData(5.0, 1.0, 5.0, ItemDirection.HigherIsLess, 0.0)]
    [InlineData(3.0, 0.0, 10.0, ItemDirection.HigherIsMore, 0.3)]
    [InlineData(-1.0, -3.0, 3.0, ItemDirection.HigherIsMore, 1.0 / 3)] // (−1 + 3) / 6
    public void Score_is_the_percent_of_maximum_possible(
        double value, double scaleMin, double scaleMax, ItemDirection direction, double expected)
    {
        var result = StandardScore.Compute(ItemId, value, scaleMin, scaleMax, direction);

        Assert.True(result.IsValid);
        Assert.Equal(expected, result.Score!.Value, 12);
    }

    [Theory]
    [InlineData(0.999)]
    [InlineData(5.001)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(null)]
    public void A_value_outside_the_scale_or_missing_is_invalid(double? value)
    {
        var result = StandardScore.Compute(ItemId, value, 1, 5, ItemDirection.HigherIsMore);

        Assert.Null(result.Score);
        Assert.Equal(MeasurementError.InvalidValue(ItemId), result.Error);
    }

    [Theory]
    [InlineData(5.0, 5.0)]
    [InlineData(5.0, 1.0)]
    [InlineData(double.NaN, 5.0)]
    public void An_item_whose_scale_max_is_not_above_its_min_is_invalid_even_for_a_valid_looking_value(double scaleMin, double scaleMax)
    {
        var result = StandardScore.Compute(ItemId, 5, scaleMin, scaleMax, ItemDirection.HigherIsMore);

        Assert.Equal(MeasurementError.InvalidItem(ItemId), result.Error);
        Assert.Equal("INVALID_ITEM", result.Error?.Code);
    }

    [Fact]
    public void The_error_names_the_item_but_not_the_value()
    {
        var error = StandardScore.Compute(ItemId, 7.25, 1, 5, ItemDirection.HigherIsMore).Error!;

        Assert.Equal("INVALID_VALUE", error.Code);
        Assert.Equal(ItemId, error.ItemId);
        Assert.Contains(ItemId, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("7.25", error.Message, StringComparison.Ordinal);
    }
}
