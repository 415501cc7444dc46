using System.Net;
using System.Text.Json;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>What the run history and one run's detail say about a run's work items: items, hosts, org stages, throughput.</summary>
public sealed class RunWorkDiagTests(RunWorkDiagTests.Fixture fixture) : IClassFixture<RunWorkDiagTests.Fixture>
{
    public sealed class Fixture : IntegrationFixture
    {
        public RunningServer Server { get; private set; } = null!;

        public RunInProgress Running { get; private set; } = null!;

        public Guid WithoutItems { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Server = await StartServerAsync();
            var week = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-1);
            Running = await WorkRows.AddRunInProgressAsync(DataSource, DateTimeOffset.UtcNow.AddMinutes(-10), week);
            WithoutItems = await new RunRows(DataSource).AddAsync("completed", DateTimeOffset.UtcNow.AddHours(-1), week.AddWeeks(-1));
        }
    }

    [Fact]
    public async Task The_detail_of_a_running_run_has_its_items_hosts_org_stages_and_throughput()
    {
        var run = await GetJsonAsync($"/api/internal/diag/weekly-runs/{fixture.Running.RunId}");

        var items = run.GetProperty("items");
        Assert.Equal((2, 0, 1, 1), (Int(items, "total"), Int(items, "pending"), Int(items, "running"), Int(items, "final")));
        var outcomes = items.GetProperty("outcomes");
        Assert.Equal((1, 0, 0), (Int(outcomes, "done"), Int(outcomes, "failed"), Int(outcomes, "not_started")));
        Assert.Equal(
            [(WorkRows.FirstHost, 1), (WorkRows.SecondHost, 1)],
            run.GetProperty("hosts").EnumerateArray().Select(host => (host.GetProperty("host").GetString(), Int(host, "items"))));
        var org = Assert.Single(run.GetProperty("orgs").EnumerateArray());
        Assert.Equal((fixture.Running.OrgId, "rollup", 1), (org.GetProperty("org_id").GetGuid(), org.GetProperty("stage").GetString(), Int(org, "items_open")));
        var throughput = run.GetProperty("throughput");
        Assert.Equal((3, 1), (Int(throughput, "teams_total"), Int(throughput, "teams_final")));
        // One team final in the ten minutes since the run started.
        Assert.InRange(throughput.GetProperty("teams_final_per_minute").GetDouble(), 0.09, 0.1);
    }

    [Fact]
    public async Task A_run_without_items_has_empty_work_and_the_history_counts_items_and_hosts_per_run()
    {
        var run = await GetJsonAsync($"/api/internal/diag/weekly-runs/{fixture.WithoutItems}");
        var history = await GetJsonAsync("/api/internal/diag/weekly-runs");

        Assert.Equal(0, Int(run.GetProperty("items"), "total"));
        Assert.Empty(run.GetProperty("hosts").EnumerateArray());
        Assert.Empty(run.GetProperty("orgs").EnumerateArray());
        Assert.Equal(0, Int(run.GetProperty("throughput"), "teams_final"));
        var counts = history.GetProperty("runs").EnumerateArray()
            .ToDictionary(row => row.GetProperty("run_id").GetGuid(), row => (Int(row, "items_total"), Int(row, "items_final"), Int(row, "host_count")));
        Assert.Equal((2, 1, 2), counts[fixture.Running.RunId]);
        Assert.Equal((0, 0, 0), counts[fixture.WithoutItems]);
    }

    private static int Int(JsonElement element, string name) => element.GetProperty(name).GetInt32();

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);
        var response = await fixture.Server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
