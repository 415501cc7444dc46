using InPsyq.Weekly.LlmQuota;
using Microsoft.Extensions.Logging.Abstractions;

namespace InPsyq.Weekly.Tests.LlmQuota;

/// <summary>Governors built by hand, for tests that construct the interpreter or the health check themselves.</summary>
internal static class QuotaGovernors
{
    /// <summary>No quota: admission never waits, and there is no shared state to reach.</summary>
    public static LlmQuotaGovernor Ungoverned(TimeProvider? time = null) => new(
        new LlmQuotaSettings("127.0.0.1/gpt-test", "gpt-test", new QuotaLimits(0, 0), 1500, TimeSpan.FromSeconds(2)),
        store: null,
        "test-host",
        time ?? TimeProvider.System,
        NullLogger<LlmQuotaGovernor>.Instance);
}
