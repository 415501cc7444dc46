using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Rollup;

/// <summary>Stage 1 through the real runner (lock, fence, audit) on the demo tenant.</summary>
public sealed class RollupEndToEndTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task A_pipeline_run_writes_every_demo_team_with_data_and_a_rerun_skips_them_all_with_hash_match()
    {
        var week = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-1);
        await new DemoTenantSeeder(fixture.DataSource).SeedAsync(DemoTenant.DefaultSeed, week, CancellationToken.None);
        var services = fixture.CreateServices();
        var runner = services.GetRequiredService<WeeklyRunner>();
        var request = new RunRequest(week, OrgId: null, TeamId: null, RunMode.PipelineOnly, DryRun: false, Force: false);
        var activeTeamsWithData = await ScalarAsync<long>("""
            select count(distinct r.team_id) from measurement_responses r
            join teams t on t.team_id = r.team_id and t.archived_at is null
            where r.week_start = $1
            """, week.Monday);

        var first = (await runner.RunAsync(request, RunTrigger.Cli, CancellationToken.None)).Report!;
        var rowVersions = await ScalarAsync<string>("select string_agg(team_id::text || ':' || xmin::text, ',' order by team_id) from weekly_aggregates where week_start = $1", week.Monday);
        var second = (await runner.RunAsync(request, RunTrigger.Cli, CancellationToken.None)).Report!;

        // 11 active teams (Legacy Ops is archived); Night Shift has 4 respondents < 5 and is stored suppressed.
        Assert.Equal(11, activeTeamsWithData);
        Assert.Equal(RunStatus.Completed, first.Status);
        Assert.Equal((11, 0), (first.Counts.AggregatesWritten, first.Counts.AggregatesSkipped));
        Assert.Equal(11, await ScalarAsync<long>("select count(*) from weekly_aggregates where week_start = $1", week.Monday));
        Assert.True(await ScalarAsync<bool>(
            "select suppressed and factors = '{}' and indices = '{}' from weekly_aggregates where week_start = $1 and team_id = $2",
            week.Monday, DemoTenant.IdOf(DemoTenant.DefaultSeed, "team", "Night Shift")));
        Assert.Equal(1, await ScalarAsync<long>("select count(*) from weekly_aggregates where week_start = $1 and suppressed", week.Monday));

        Assert.Equal(RunStatus.Completed, second.Status);
        Assert.Equal((0, 11), (second.Counts.AggregatesWritten, second.Counts.AggregatesSkipped));
        Assert.Equal(11, second.Teams.Count);
        Assert.All(second.Teams, team =>
        {
            var rollup = Assert.Single(team.Stages, stage => stage.Stage == "rollup");
            Assert.Equal(("skipped", "hash_match"), (rollup.Status, rollup.Reason));
        });
        Assert.Equal(rowVersions, await ScalarAsync<string>(
            "select string_agg(team_id::text || ':' || xmin::text, ',' order by team_id) from weekly_aggregates where week_start = $1", week.Monday));
    }

    private async Task<T> ScalarAsync<T>(string sql, params object[] values)
    {
        await using var command = fixture.DataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = value });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }
}
