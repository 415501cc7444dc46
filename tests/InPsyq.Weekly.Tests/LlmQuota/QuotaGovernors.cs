using InPsyq.Weekly.LlmQuota;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace InPsyq.Weekly.Tests.LlmQuota;

/// <summary>Governors built by hand, for tests that construct the interpreter or the health check themselves.</summary>
internal static class QuotaGovernors
{
    /// <summary>
    /// No quota: admission never waits and never reaches the store, whose data source points at a port where nothing
    /// listens (a call would fail).
    /// </summary>
    public static LlmQuotaGovernor Ungoverned(TimeProvider? time = null) => new(
        new LlmQuotaSettings("127.0.0.1/gpt-test", "gpt-test", new QuotaLimits(0, 0), 1500, TimeSpan.FromSeconds(2)),
        new LlmQuotaStore(NpgsqlDataSource.Create("Host=127.0.0.1;Port=9;Username=nobody;Timeout=1")),
        "test-host",
        time ?? TimeProvider.System,
        NullLogger<LlmQuotaGovernor>.Instance);
}
