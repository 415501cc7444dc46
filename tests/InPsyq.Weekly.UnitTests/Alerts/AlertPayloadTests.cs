using System.Text.Json;
using InPsyq.Weekly.Alerts;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.UnitTests.Alerts;

public sealed class AlertPayloadTests
{
    private static readonly IsoWeek s_week = IsoWeek.FromMonday(new DateOnly(2025, 3, 3));

    [Fact]
    public void A_slack_payload_with_500_failing_teams_stays_within_slack_limits_and_says_how_many_it_left_out()
    {
        var teams = Enumerable.Range(0, 500).Select(_ => new FailingTeam(Guid.NewGuid(), Guid.NewGuid(), "rollup", "failed", "INVALID_VALUE")).ToList();
        var message = new AlertMessage(AlertKind.RunFailed, "all", s_week, Guid.NewGuid(), "Run failed: 500 of 500 teams failed or timed out.")
        {
            Mode = "FULL",
            Status = "failed",
            Counts = new RunCounts { TeamsTotal = 500, TeamsFailed = 500 },
            FailingTeams = teams,
            Errors = [new AlertError(null, null, null, "LOCK_LOST")],
        };

        var body = JsonDocument.Parse(AlertPayload.Render(message, AlertFormat.Slack)).RootElement;

        var blocks = body.GetProperty("blocks").EnumerateArray().ToList();
        Assert.InRange(blocks.Count, 1, AlertPayload.MaxBlocks);
        Assert.InRange(body.GetProperty("text").GetString()!.Length, 1, AlertPayload.MaxSectionText);
        var texts = blocks.Where(block => block.TryGetProperty("text", out _)).Select(block => block.GetProperty("text").GetProperty("text").GetString()!).ToList();
        Assert.All(texts, text => Assert.InRange(text.Length, 1, AlertPayload.MaxSectionText));
        var list = Assert.Single(texts, text => text.StartsWith("*Failed or timed-out teams*", StringComparison.Ordinal));
        var shown = teams.Count(team => list.Contains(team.TeamId.ToString(), StringComparison.Ordinal));
        Assert.InRange(shown, 10, 499);
        Assert.EndsWith($"\n…and {500 - shown} more", list, StringComparison.Ordinal);
        Assert.Contains(texts, text => text.Contains("`LOCK_LOST`", StringComparison.Ordinal));
    }

    [Fact]
    public void A_list_that_fits_is_shown_whole()
    {
        Assert.Equal("*Teams*\n• a\n• b", AlertPayload.BulletList("*Teams*", ["a", "b"]));
    }

    [Fact]
    public void The_trigger_of_the_run_is_a_slack_fact_and_a_json_field()
    {
        var message = new AlertMessage(AlertKind.RunFailed, "all", s_week, Guid.NewGuid(), "Run failed.") { Mode = "FULL", Trigger = "manual", Status = "failed" };

        var slack = JsonDocument.Parse(AlertPayload.Render(message, AlertFormat.Slack)).RootElement;
        var json = JsonDocument.Parse(AlertPayload.Render(message, AlertFormat.Json)).RootElement;

        Assert.Contains("*Trigger*\nmanual", slack.GetProperty("blocks")[2].GetProperty("fields").EnumerateArray().Select(field => field.GetProperty("text").GetString()));
        Assert.Equal("manual", json.GetProperty("trigger").GetString());
    }

    [Fact]
    public void Slack_control_characters_in_a_summary_are_escaped()
    {
        var message = new AlertMessage(AlertKind.WeekMissed, "all", s_week, null, "No run <by> the deadline & none queued.");

        var body = AlertPayload.Render(message, AlertFormat.Slack);

        Assert.Contains("No run &lt;by&gt; the deadline &amp; none queued.", JsonDocument.Parse(body).RootElement.GetProperty("blocks")[1].GetProperty("text").GetProperty("text").GetString(), StringComparison.Ordinal);
    }
}
