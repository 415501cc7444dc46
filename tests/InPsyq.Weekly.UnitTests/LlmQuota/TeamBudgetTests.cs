using InPsyq.Weekly.Pipeline;
using Microsoft.Extensions.Time.Testing;

namespace InPsyq.Weekly.UnitTests.LlmQuota;

/// <summary>A team's stage budget does not tick while the team waits for shared capacity.</summary>
public sealed class TeamBudgetTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void The_budget_expires_after_its_limit()
    {
        using var budget = new TeamBudget(TimeSpan.FromSeconds(10), _time);

        _time.Advance(TimeSpan.FromSeconds(9.9));
        var before = budget.IsExpired;
        _time.Advance(TimeSpan.FromSeconds(0.1));

        Assert.False(before);
        Assert.True(budget.IsExpired);
        Assert.True(budget.Token.IsCancellationRequested);
    }

    [Fact]
    public void A_paused_budget_does_not_tick_and_resumes_with_what_was_left()
    {
        using var budget = new TeamBudget(TimeSpan.FromSeconds(10), _time);
        _time.Advance(TimeSpan.FromSeconds(4));

        using (budget.Pause())
        {
            using (budget.Pause())
            {
                _time.Advance(TimeSpan.FromMinutes(5));
            }

            _time.Advance(TimeSpan.FromMinutes(5));
            Assert.False(budget.IsExpired);
        }

        _time.Advance(TimeSpan.FromSeconds(5.9));
        var before = budget.IsExpired;
        _time.Advance(TimeSpan.FromSeconds(0.1));

        Assert.False(before);
        Assert.True(budget.IsExpired);
    }
}
