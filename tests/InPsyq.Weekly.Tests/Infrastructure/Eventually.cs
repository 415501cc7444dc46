using System.Diagnostics;

namespace InPsyq.Weekly.Tests.Infrastructure;

/// <summary>Polls in real time until a condition holds, failing the test with what was awaited after a limit.</summary>
internal static class Eventually
{
    private static readonly TimeSpan s_defaultLimit = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_defaultPoll = TimeSpan.FromMilliseconds(10);

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? within = null, TimeSpan? poll = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, within, poll);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null, TimeSpan? poll = null)
    {
        var limit = within ?? s_defaultLimit;
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < limit, $"Timed out after {limit.TotalSeconds:0.#} s waiting until {what}.");
            await Task.Delay(poll ?? s_defaultPoll);
        }
    }
}
