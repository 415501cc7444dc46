using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Runs;

/// <summary>All three real stages through the orchestrator, on the demo tenant, against real Postgres and Azurite.</summary>
public sealed class PipelineEndToEndTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    private static readonly IsoWeek s_week = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-1);

    [Fact]
    public async Task A_FULL_run_writes_every_stage_and_an_unchanged_rerun_writes_nothing_anywhere()
    {
        var runner = await SeededRunnerAsync();

        var first = (await runner.RunAsync(new RunRequest(s_week, null, null, RunMode.Full, false, false), RunTrigger.Cli, CancellationToken.None)).Report!;
        var before = await SnapshotAsync();
        var second = (await runner.RunAsync(new RunRequest(s_week, null, null, RunMode.Full, false, false), RunTrigger.Cli, CancellationToken.None)).Report!;

        Assert.Equal(RunStatus.Completed, first.Status);
        Assert.Equal(11, first.Counts.AggregatesWritten);
        Assert.Equal(10, first.Counts.AttributionsWritten);
        Assert.Equal(10, first.Counts.InterpretationsWritten);
        Assert.Contains("offline_interpreter", first.Notes);

        Assert.Equal(RunStatus.Completed, second.Status);
        Assert.Equal((0, 0, 0), (second.Counts.AggregatesWritten, second.Counts.AttributionsWritten, second.Counts.InterpretationsWritten));
        Assert.All(second.Teams, team => Assert.Equal("skipped", team.Status));
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Interpretation_only_flags_teams_whose_answers_changed_since_their_stored_pipeline_output()
    {
        var runner = await SeededRunnerAsync();
        var week = s_week.AddWeeks(-2);
        await runner.RunAsync(new RunRequest(week, null, null, RunMode.PipelineOnly, false, false), RunTrigger.Cli, CancellationToken.None);
        var changedTeam = DemoTenant.IdOf(DemoTenant.DefaultSeed, "team", "Platform");
        await using (var command = fixture.DataSource.CreateCommand("""
            insert into measurement_responses (org_id, team_id, respondent_id, week_start, item_id, value)
            select org_id, team_id, gen_random_uuid(), week_start, item_id, value from measurement_responses
            where team_id = $1 and week_start = $2 limit 1
            """))
        {
            command.Parameters.Add(new() { Value = changedTeam });
            command.Parameters.Add(new() { Value = week.Monday });
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var report = (await runner.RunAsync(new RunRequest(week, null, null, RunMode.InterpretationOnly, false, false), RunTrigger.Cli, CancellationToken.None)).Report!;

        Assert.Equal([$"stale_pipeline_output:{changedTeam}"], report.Notes.Where(note => note.StartsWith("stale_pipeline_output", StringComparison.Ordinal)));
        var flagged = report.Teams.Single(team => team.TeamId == changedTeam).Stages.Single();
        Assert.Equal(("interpretation", "succeeded", "stale_pipeline_output"), (flagged.Stage, flagged.Status, flagged.Reason));
        Assert.All(report.Teams.Where(team => team.TeamId != changedTeam), team => Assert.NotEqual("stale_pipeline_output", team.Stages.Single().Reason));
    }

    private async Task<WeeklyRunner> SeededRunnerAsync()
    {
        await new DemoTenantSeeder(fixture.DataSource).SeedAsync(DemoTenant.DefaultSeed, s_week, CancellationToken.None);
        return fixture.CreateServices().GetRequiredService<WeeklyRunner>();
    }

    /// <summary>Row versions of every pipeline table and the ETags of every attribution blob.</summary>
    private async Task<string> SnapshotAsync()
    {
        var parts = new List<string>();
        foreach (var table in new[] { "weekly_aggregates", "team_series", "weekly_interpretations" })
        {
            await using var command = fixture.DataSource.CreateCommand($"select string_agg(xmin::text, ',' order by xmin::text) from {table}");
            parts.Add($"{table}={await command.ExecuteScalarAsync()}");
        }

        await foreach (var blob in fixture.BlobService.GetBlobContainerClient(fixture.AttributionContainer).GetBlobsAsync())
        {
            parts.Add($"{blob.Name}={blob.Properties.ETag}");
        }

        return string.Join('\n', parts);
    }
}
