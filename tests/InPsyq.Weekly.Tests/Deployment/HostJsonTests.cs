using System.Globalization;
using System.Text.Json.Nodes;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Interpretation;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// The Functions host's queue settings in <c>host.json</c> (<c>extensions.queues</c>) agree with the work options: the
/// host works as many items at once as a standalone process, and its dequeue count is only a backstop behind the
/// attempts Postgres counts.
/// </summary>
public sealed class HostJsonTests
{
    private static readonly JsonNode s_host = JsonNode.Parse(File.ReadAllText(RepositoryFiles.PathOf("host.json")))!;
    private static readonly JsonNode s_queues = s_host["extensions"]!["queues"]
        ?? throw new InvalidOperationException("host.json has no extensions.queues section.");

    [Fact]
    public void An_item_stops_starting_teams_a_minute_before_the_host_ends_its_function()
    {
        var functionTimeout = TimeSpan.ParseExact((string?)s_host["functionTimeout"] ?? throw new InvalidOperationException("host.json has no functionTimeout."), "c", CultureInfo.InvariantCulture);

        // A team that starts just before the budget ends still has its whole timeout, the longest being stage 3's
        // with Azure OpenAI, to finish in.
        var longestTeam = new LlmOptions().TeamBudget(new WeeklyRunOptions().TeamTimeout);
        Assert.True(new WorkOptions().ItemBudget + longestTeam <= functionTimeout - TimeSpan.FromMinutes(1),
            $"WEEKLY_WORK_ITEM_BUDGET_SECONDS + the longest team ({longestTeam}) must end a minute before functionTimeout ({functionTimeout})");
    }

    [Fact]
    public void An_instance_works_one_item_and_fetches_the_next_when_it_starts_as_many_as_a_standalone_process()
    {
        var defaults = new WorkOptions();

        Assert.Equal(1, (int)s_queues["batchSize"]!);
        Assert.Equal(1, (int)s_queues["newBatchThreshold"]!);
        // The host runs batchSize + newBatchThreshold messages of each queue at once per instance.
        Assert.Equal(defaults.Workers, (int)s_queues["batchSize"]! + (int)s_queues["newBatchThreshold"]!);
    }

    [Fact]
    public void The_dequeue_count_is_a_backstop_two_deliveries_past_the_attempts_Postgres_counts()
    {
        Assert.Equal(new WorkOptions().MaxAttempts + 2, (int)s_queues["maxDequeueCount"]!);
    }

    [Fact]
    public void Messages_are_base64_and_a_failed_delivery_comes_back_after_a_short_delay()
    {
        Assert.Equal("base64", (string?)s_queues["messageEncoding"]);
        Assert.InRange(Duration("visibilityTimeout"), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        // An idle instance looks at the queue at least this often, so a new item does not wait for the default minute.
        Assert.InRange(Duration("maxPollingInterval"), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void The_functions_host_exports_through_open_telemetry_like_the_worker()
    {
        Assert.Equal("OpenTelemetry", (string?)s_host["telemetryMode"]);
    }

    private static TimeSpan Duration(string setting) =>
        TimeSpan.ParseExact((string?)s_queues[setting] ?? throw new InvalidOperationException($"host.json has no extensions.queues.{setting}."), "c", CultureInfo.InvariantCulture);
}
