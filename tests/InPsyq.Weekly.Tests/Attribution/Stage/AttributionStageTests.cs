using System.Text.Json.Nodes;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Weeks;
using static InPsyq.Weekly.Tests.Attribution.Stage.AttributionStageFixture;

namespace InPsyq.Weekly.Tests.Attribution.Stage;

/// <summary>Stage 2 against real Postgres and Azurite, driven as the orchestrator drives it, with stage-1 rows written directly.</summary>
public sealed class AttributionStageTests(AttributionStageFixture fixture) : IClassFixture<AttributionStageFixture>
{
    private const int Precision = 9;

    private static IsoWeek W(int offset) => Week.AddWeeks(offset);

    [Fact]
    public async Task Z_is_null_with_two_baseline_teams_and_computed_with_three()
    {
        var (org, teams) = await fixture.Tenants.AddOrgAsync(3);
        for (var i = 0; i < teams.Count; i++)
        {
            await fixture.Aggregates.WriteAsync(org, teams[i], Week, 0.2 + (0.2 * i));
        }

        var thirdFailed = new Dictionary<Guid, TeamStageResult> { [teams[2]] = RollupResult(StageOutcome.Fail("INVALID_VALUE", "item")) };
        var twoTeams = await fixture.BeginAsync(org, teams, rollup: thirdFailed);
        Assert.True((await twoTeams.RunAsync(teams[0])).Wrote);
        Assert.True((await twoTeams.RunAsync(teams[1])).Wrote);

        var withoutBaseline = (await fixture.ReadDocumentAsync(org, teams[1]))!.Document;
        Assert.Equal(["NO_ORG_BASELINE"], Strings(withoutBaseline["flags"]));
        Assert.Null(withoutBaseline["factors"]!["emotional_load"]!["z"]);
        Assert.Empty(withoutBaseline["indices"]!["strain"]!["internal"]!.AsArray());
        Assert.All(await fixture.ReadSeriesAsync(teams[1]), row => Assert.Null(row.Z));

        var threeTeams = await fixture.BeginAsync(org, teams);
        Assert.All(await threeTeams.RunAllAsync(), outcome => Assert.True(outcome.Wrote));

        var best = (await fixture.ReadDocumentAsync(org, teams[0]))!.Document;
        Assert.Empty(best["flags"]!.AsArray());
        Assert.Equal(-1, best["factors"]!["emotional_load"]!["z"]!.GetValue<double>(), Precision);
        Assert.Equal(1, best["factors"]!["engagement"]!["z"]!.GetValue<double>(), Precision);
        var bestSeries = (await fixture.ReadSeriesAsync(teams[0])).ToDictionary(row => row.Index);
        Assert.Equal(-1, bestSeries["strain"].Z!.Value, Precision);
        Assert.Equal(1, bestSeries["engagement"].Z!.Value, Precision);

        // The worst team is 0.2 worse than the org on every strain term: four full, major contributions.
        var worst = (await fixture.ReadDocumentAsync(org, teams[2]))!.Document["indices"]!["strain"]!;
        Assert.Equal(4, worst["internal"]!.AsArray().Count);
        Assert.All(worst["internal"]!.AsArray(), driver => Assert.Equal("MAJOR", driver!["band"]!.GetValue<string>()));
        Assert.Equal(4, worst["masses"]!["internal"]!.GetValue<double>(), Precision);
    }

    [Fact]
    public async Task Series_comes_from_stored_history_with_gaps_and_a_suppressed_week()
    {
        var (org, teams) = await fixture.Tenants.AddOrgAsync(1);
        var team = teams[0];
        double?[] strain = [0.30, 0.32, null, 0.36, null, 0.40, 0.40, 0.45, null, 0.50, 0.55, 0.60];
        for (var i = 0; i < strain.Length; i++)
        {
            if (strain[i] is { } level)
            {
                await fixture.Aggregates.WriteAsync(org, team, W(i - 11), level);
            }
        }

        await fixture.Aggregates.WriteSuppressedAsync(org, team, W(-7));
        await fixture.Aggregates.WriteAsync(org, team, W(-12), 0.9);

        var run = await fixture.BeginAsync(org, teams);
        Assert.True((await run.RunAsync(team)).Wrote);

        var rows = (await fixture.ReadSeriesAsync(team)).ToDictionary(row => row.Index);
        Assert.Equal(["strain", "withdrawal_risk", "trust_gap", "engagement"], rows.Keys);
        var series = rows["strain"];
        Assert.Equal(12, series.Points.Count);
        for (var i = 0; i < 12; i++)
        {
            var point = series.Points[i]!;
            Assert.Equal(W(i - 11).ToString(), point["week_start"]!.GetValue<string>());
            Assert.Equal(strain[i] is null, point["value"] is null);
            if (strain[i] is { } expected)
            {
                Assert.Equal(expected, point["value"]!.GetValue<double>(), Precision);
            }
        }

        // The week before the window is not history: the first point has no delta.
        double?[] deltas = [null, 0.02, null, 0.04, null, 0.04, 0, 0.05, null, 0.05, 0.05, 0.05];
        string?[] trends = [null, "STABLE", null, "UP", null, "UP", "STABLE", "UP", null, "UP", "UP", "UP"];
        for (var i = 0; i < 12; i++)
        {
            var point = series.Points[i]!;
            Assert.Equal(deltas[i] is null, point["delta"] is null);
            if (deltas[i] is { } delta)
            {
                Assert.Equal(delta, point["delta"]!.GetValue<double>(), Precision);
            }

            Assert.Equal(trends[i], point["trend"]?.GetValue<string>());
        }

        Assert.Equal(0.60, series.Value!.Value, Precision);
        Assert.Equal(0.05, series.Delta!.Value, Precision);
        Assert.Equal("UP", series.Trend);
        Assert.Equal(9, series.CoverageWeeks);
        Assert.Equal(Math.Sqrt(0.003125), series.Volatility, Precision);
        Assert.Equal("PERSISTENT", series.Regime);
        Assert.Equal("MED", series.Stability);
        Assert.Equal(-0.05, rows["engagement"].Delta!.Value, Precision);
        Assert.Equal("DOWN", rows["engagement"].Trend);

        var document = (await fixture.ReadDocumentAsync(org, team))!.Document;
        var strainDocument = document["indices"]!["strain"]!;
        Assert.Equal(0.60, strainDocument["value"]!.GetValue<double>(), Precision);
        Assert.Equal("high", strainDocument["state"]!.GetValue<string>());
        Assert.Equal("UP", strainDocument["trend"]!.GetValue<string>());
        Assert.Equal("PERSISTENT", strainDocument["regime"]!.GetValue<string>());
        Assert.Equal("MED", strainDocument["stability"]!.GetValue<string>());
        Assert.Equal(["NO_ORG_BASELINE"], Strings(document["flags"]));
    }

    [Fact]
    public async Task Writes_the_document_at_its_path_with_content_type_metadata_and_schema()
    {
        var (org, teams) = await fixture.Tenants.AddOrgAsync(3);
        var (upstream, team) = (teams[0], teams[1]);
        await fixture.AddEdgeAsync(org, upstream, team, "process", 1);
        await fixture.Aggregates.WriteAsync(org, upstream, W(-1), 0.3);
        await fixture.Aggregates.WriteAsync(org, upstream, Week, 0.4);
        await fixture.Aggregates.WriteAsync(org, team, Week, 0.5);
        await fixture.Aggregates.WriteAsync(org, teams[2], Week, 0.2);

        var run = await fixture.BeginAsync(org, teams);
        Assert.All(await run.RunAllAsync(), outcome => Assert.Equal(StageStatus.Succeeded, outcome.Status));

        var stored = (await fixture.ReadDocumentAsync(org, team))!;
        Assert.Contains($"{org:D}/2025-03-03/{team:D}.json", await fixture.ListBlobsAsync(fixture.AttributionContainer));
        Assert.Equal("application/json", stored.Properties.ContentType);
        var document = stored.Document;
        var inputHash = document["input_hash"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f]{64}$", inputHash);
        Assert.Equal(inputHash, stored.Properties.Metadata["input_hash"]);
        Assert.All(await fixture.ReadSeriesAsync(team), row => Assert.Equal((inputHash, run.RunId), (row.InputHash, row.RunId)));

        Assert.Equal("attribution.v1", document["schema_version"]!.GetValue<string>());
        Assert.Equal(org, document["org_id"]!.GetValue<Guid>());
        Assert.Equal(team, document["team_id"]!.GetValue<Guid>());
        Assert.Equal("2025-03-03", document["week_start"]!.GetValue<string>());
        Assert.Equal("2025-W10", document["week_label"]!.GetValue<string>());
        Assert.Equal("compute-v1", document["compute_version"]!.GetValue<string>());
        Assert.Equal(run.RunId, document["run_id"]!.GetValue<Guid>());
        Assert.Empty(document["flags"]!.AsArray());
        Assert.Equal(10, document["factors"]!.AsObject().Count);
        Assert.Equal(0.5, document["factors"]!["emotional_load"]!["mean"]!.GetValue<double>(), Precision);

        var strain = document["indices"]!["strain"]!;
        Assert.Equal(0.5, strain["value"]!.GetValue<double>(), Precision);
        Assert.Equal("elevated", strain["state"]!.GetValue<string>());
        Assert.Null(strain["delta"]);
        Assert.Null(strain["trend"]);

        // The upstream's strain rose by 0.1 this week: w = 0.1, impact = 1 × 0.1 / 0.2 = 0.5, level D2.
        var dependency = Assert.Single(strain["external"]!.AsArray())!;
        Assert.Equal(upstream, dependency["upstream_team_id"]!.GetValue<Guid>());
        Assert.Equal("process", dependency["kind"]!.GetValue<string>());
        Assert.Equal(1, dependency["weight"]!.GetValue<double>(), Precision);
        Assert.Equal(0.1, dependency["w"]!.GetValue<double>(), Precision);
        Assert.Equal(0.5, dependency["impact"]!.GetValue<double>(), Precision);
        Assert.Equal("D2", dependency["level"]!.GetValue<string>());
        Assert.Equal("medium", dependency["controllability"]!.GetValue<string>());
        Assert.False(dependency["persistent"]!.GetValue<bool>());
        Assert.Equal(0.5, strain["masses"]!["external"]!.GetValue<double>(), Precision);

        var schema = JsonSchemaCheck.LoadPublished("attribution.v1.json");
        Assert.Empty(JsonSchemaCheck.Errors(schema, document));
        var incomplete = document.DeepClone();
        incomplete["indices"]!["strain"]!["internal"]![0]!.AsObject().Remove("severity");
        Assert.Equal(["$.indices.strain.internal[0]: missing required property severity"], JsonSchemaCheck.Errors(schema, incomplete));
    }

    [Fact]
    public async Task A_unit_whose_blob_is_missing_is_not_done_and_is_written_again()
    {
        var (org, teams) = await fixture.Tenants.AddOrgAsync(3);
        for (var i = 0; i < teams.Count; i++)
        {
            await fixture.Aggregates.WriteAsync(org, teams[i], Week, 0.2 + (0.1 * i));
        }

        await (await fixture.BeginAsync(org, teams)).RunAllAsync();
        var lost = (await fixture.ReadDocumentAsync(org, teams[0]))!;
        await fixture.Attribution.DeleteBlobAsync(lost.Name);

        // The team_series rows still carry the hash; only both halves together make the unit done.
        var rerun = await fixture.BeginAsync(org, teams);
        var outcomes = await rerun.RunAllAsync();

        Assert.True(outcomes[0].Wrote);
        Assert.All(outcomes.Skip(1), outcome => Assert.Equal((StageStatus.Skipped, "hash_match"), (outcome.Status, outcome.Reason)));
        Assert.Equal(lost.Document["input_hash"]!.GetValue<string>(), (await fixture.ReadDocumentAsync(org, teams[0]))!.Document["input_hash"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unchanged_rerun_writes_nothing()
    {
        var (org, teams) = await fixture.Tenants.AddOrgAsync(3);
        for (var i = 0; i < teams.Count; i++)
        {
            await fixture.Aggregates.WriteAsync(org, teams[i], W(-1), 0.3);
            await fixture.Aggregates.WriteAsync(org, teams[i], Week, 0.2 + (0.1 * i));
        }

        var first = await fixture.BeginAsync(org, teams);
        await first.RunAllAsync();
        var before = await SnapshotAsync(org, teams);

        var second = await fixture.BeginAsync(org, teams);
        Assert.All(await second.RunAllAsync(), outcome => Assert.Equal((StageStatus.Skipped, "hash_match", false), (outcome.Status, outcome.Reason, outcome.Wrote)));
        Assert.Equal(before, await SnapshotAsync(org, teams));
    }

    [Fact]
    public async Task Force_rewrites_with_the_same_hash()
    {
        var (org, teams) = await fixture.Tenants.AddOrgAsync(3);
        for (var i = 0; i < teams.Count; i++)
        {
            await fixture.Aggregates.WriteAsync(org, teams[i], Week, 0.2 + (0.1 * i));
        }

        await (await fixture.BeginAsync(org, teams)).RunAllAsync();
        var before = await SnapshotAsync(org, teams);

        var forced = await fixture.BeginAsync(org, teams, force: true);
        Assert.All(await forced.RunAllAsync(), outcome => Assert.True(outcome.Wrote));
        var after = await SnapshotAsync(org, teams);
        foreach (var team in teams)
        {
            Assert.NotEqual(before[team].ETag, after[team].ETag);
            Assert.NotEqual(before[team].Xmins, after[team].Xmins);
            Assert.Equal(before[team].Hash, after[team].Hash);
            Assert.All(await fixture.ReadSeriesAsync(team), row => Assert.Equal(forced.RunId, row.RunId));
        }
    }

    [Fact]
    public async Task A_stage1_hash_changes_the_whole_org_this_week_and_downstream_teams_over_the_window()
    {
        var (orgA, a) = await fixture.Tenants.AddOrgAsync(3);
        var (orgB, b) = await fixture.Tenants.AddOrgAsync(2);
        await fixture.AddEdgeAsync(orgA, a[0], a[1]);
        foreach (var (org, team) in a.Select(team => (orgA, team)).Concat(b.Select(team => (orgB, team))))
        {
            await fixture.Aggregates.WriteAsync(org, team, W(-1), 0.3);
            await fixture.Aggregates.WriteAsync(org, team, Week, 0.4);
        }

        var initial = await RunAndReadHashesAsync((orgA, a), (orgB, b));

        // An earlier week of the upstream: its own hash and its downstream's, nobody else's.
        await fixture.Aggregates.SetHashAsync(a[0], W(-1), "changed-history");
        var afterHistory = await RunAndReadHashesAsync((orgA, a), (orgB, b));
        Assert.Equal([true, true, false, false, false], ChangedBetween(initial, afterHistory, [.. a, .. b]));

        // This week of any team: the org digest changes every hash of its org, and only of its org.
        await fixture.Aggregates.SetHashAsync(a[2], Week, "changed-this-week");
        var afterThisWeek = await RunAndReadHashesAsync((orgA, a), (orgB, b));
        Assert.Equal([true, true, true, false, false], ChangedBetween(afterHistory, afterThisWeek, [.. a, .. b]));
    }

    [Fact]
    public async Task A_suppressed_team_week_loses_its_series_blob_and_active_interpretation()
    {
        var (org, teams) = await fixture.Tenants.AddOrgAsync(4);
        for (var i = 0; i < 3; i++)
        {
            await fixture.Aggregates.WriteAsync(org, teams[i], Week, 0.2 + (0.1 * i));
        }

        var first = await fixture.BeginAsync(org, teams);
        Assert.Equal(["", "", "", "no_data"], (await first.RunAllAsync()).Select(outcome => outcome.Reason ?? string.Empty));
        var interpretation = await fixture.AddActiveInterpretationAsync(org, teams[0]);

        await fixture.Aggregates.WriteSuppressedAsync(org, teams[0], Week, "suppressed-now");
        var second = await fixture.BeginAsync(org, teams);
        var outcome = await second.RunAsync(teams[0]);

        Assert.Equal((StageStatus.Skipped, "suppressed"), (outcome.Status, outcome.Reason));
        Assert.Empty(await fixture.ReadSeriesAsync(teams[0]));
        Assert.Null(await fixture.ReadDocumentAsync(org, teams[0]));
        Assert.False(await fixture.IsInterpretationActiveAsync(interpretation));
        Assert.NotNull(await fixture.ReadDocumentAsync(org, teams[1]));
        Assert.Equal(4, (await fixture.ReadSeriesAsync(teams[1])).Count);
    }

    [Fact]
    public async Task The_stored_aggregate_of_an_archived_team_is_kept_out_of_the_org_figures()
    {
        var (org, teams) = await fixture.Tenants.AddOrgAsync(4);
        for (var i = 0; i < teams.Count; i++)
        {
            await fixture.Aggregates.WriteAsync(org, teams[i], Week, i < 3 ? 0.2 + (0.2 * i) : 0.95);
        }

        await fixture.Tenants.ArchiveAsync(teams[3]);
        var run = await fixture.BeginAsync(org, teams[..3]);
        Assert.All(await run.RunAllAsync(), outcome => Assert.True(outcome.Wrote));

        // The same z as an org of the three active teams alone: the archived team's 0.95 moves neither mean nor sd.
        var best = (await fixture.ReadDocumentAsync(org, teams[0]))!.Document;
        Assert.Equal(-1, best["factors"]!["emotional_load"]!["z"]!.GetValue<double>(), Precision);
        Assert.Equal(1, best["factors"]!["engagement"]!["z"]!.GetValue<double>(), Precision);
        Assert.Null(await fixture.ReadDocumentAsync(org, teams[3]));
    }

    [Fact]
    public async Task Invalid_dependencies_are_noted_once_each_and_ignored()
    {
        var (orgA, a) = await fixture.Tenants.AddOrgAsync(3);
        var (_, b) = await fixture.Tenants.AddOrgAsync(1);
        await fixture.Tenants.ArchiveAsync(a[2]);
        await fixture.AddEdgeAsync(orgA, a[0], a[0]);
        await fixture.AddEdgeAsync(orgA, b[0], a[0]);
        await fixture.AddEdgeAsync(orgA, a[2], a[1]);
        await fixture.AddEdgeAsync(orgA, a[0], a[1]);
        await fixture.Aggregates.WriteAsync(orgA, a[0], Week, 0.3);
        await fixture.Aggregates.WriteAsync(orgA, a[1], Week, 0.4);

        var run = await fixture.BeginAsync(orgA, a[..2]);

        Assert.Equal(
            new[] { $"INVALID_DEPENDENCY:{a[0]:D}->{a[0]:D}", $"INVALID_DEPENDENCY:{a[2]:D}->{a[1]:D}", $"INVALID_DEPENDENCY:{b[0]:D}->{a[0]:D}" }.Order(),
            run.Notes.Order());
        Assert.All(await run.RunAllAsync(), outcome => Assert.True(outcome.Wrote));
    }

    [Fact]
    public async Task A_lost_fence_or_a_cancelled_token_writes_nothing_for_that_team_and_spares_the_others()
    {
        var (org, teams) = await fixture.Tenants.AddOrgAsync(3);
        for (var i = 0; i < teams.Count; i++)
        {
            await fixture.Aggregates.WriteAsync(org, teams[i], Week, 0.2 + (0.1 * i));
        }

        var run = await fixture.BeginAsync(org, teams);

        await fixture.Fences.TakeAsync(Week, org, Guid.NewGuid(), CancellationToken.None);
        await Assert.ThrowsAsync<LockLostException>(() => run.RunAsync(teams[0]));
        await fixture.Fences.TakeAsync(Week, org, run.RunId, CancellationToken.None);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.RunAsync(teams[1], cancelled.Token));

        foreach (var team in teams[..2])
        {
            Assert.Null(await fixture.ReadDocumentAsync(org, team));
            Assert.Empty(await fixture.ReadSeriesAsync(team));
        }

        Assert.True((await run.RunAsync(teams[2])).Wrote);
        Assert.True((await run.RunAsync(teams[0])).Wrote);
        Assert.True((await run.RunAsync(teams[1])).Wrote);
    }

    [Fact]
    public async Task The_dry_run_plan_gives_each_reason_and_writes_nothing()
    {
        var (org, teams) = await fixture.Tenants.AddOrgAsync(4);
        var (noData, suppressed, done, changed) = (teams[0], teams[1], teams[2], teams[3]);
        await fixture.Aggregates.WriteSuppressedAsync(org, suppressed, Week);
        await fixture.Aggregates.WriteAsync(org, done, Week, 0.3);
        await fixture.Aggregates.WriteAsync(org, changed, Week, 0.4);
        await (await fixture.BeginAsync(org, teams)).RunAsync(done);

        var rollupPlans = teams.ToDictionary(team => team, team => Planned(team == noData ? StagePlan.Skip("no_data") : StagePlan.Skip("hash_match")));
        var plan = await fixture.BeginAsync(org, teams, rollup: rollupPlans);
        Assert.Equal(
            ["skip no_data", "skip suppressed", "skip hash_match", "run input_changed"],
            await PlansAsync(plan, teams));

        var forced = await fixture.BeginAsync(org, teams, force: true, rollup: rollupPlans);
        Assert.Equal(
            ["skip no_data", "skip suppressed", "run forced", "run forced"],
            await PlansAsync(forced, teams));

        rollupPlans[changed] = Planned(StagePlan.Run("input_changed"));
        var peerWillRun = await fixture.BeginAsync(org, teams, rollup: rollupPlans);
        Assert.Equal(
            ["skip no_data", "skip suppressed", "run upstream_will_run", "run upstream_will_run"],
            await PlansAsync(peerWillRun, teams));

        rollupPlans[noData] = Planned(StagePlan.Run("input_changed"));
        var newData = await fixture.BeginAsync(org, teams, rollup: rollupPlans);
        Assert.Equal("run upstream_will_run", Describe(await newData.PlanAsync(noData)));

        Assert.Empty(await fixture.ReadSeriesAsync(changed));
        Assert.Null(await fixture.ReadDocumentAsync(org, changed));
    }

    private static TeamStageResult Planned(StagePlan plan) => RollupResult(StageOutcome.Skip(plan.Reason), plan);

    private static string Describe(StagePlan plan) => $"{(plan.WillRun ? "run" : "skip")} {plan.Reason}";

    private static async Task<List<string>> PlansAsync(OrgRun run, List<Guid> teams)
    {
        var plans = new List<string>();
        foreach (var team in teams)
        {
            plans.Add(Describe(await run.PlanAsync(team)));
        }

        return plans;
    }

    private static List<string> Strings(JsonNode? array) => [.. array!.AsArray().Select(item => item!.GetValue<string>())];

    private async Task<Dictionary<Guid, (string ETag, string Xmins, string Hash)>> SnapshotAsync(Guid org, List<Guid> teams)
    {
        var snapshot = new Dictionary<Guid, (string, string, string)>();
        foreach (var team in teams)
        {
            var document = (await fixture.ReadDocumentAsync(org, team))!;
            var rows = await fixture.ReadSeriesAsync(team);
            Assert.Equal(4, rows.Count);
            snapshot[team] = (document.Properties.ETag.ToString(), string.Join(",", rows.Select(row => row.Xmin)), rows[0].InputHash);
        }

        return snapshot;
    }

    private async Task<Dictionary<Guid, string>> RunAndReadHashesAsync(params (Guid Org, List<Guid> Teams)[] orgs)
    {
        var hashes = new Dictionary<Guid, string>();
        foreach (var (org, teams) in orgs)
        {
            await (await fixture.BeginAsync(org, teams)).RunAllAsync();
            foreach (var team in teams)
            {
                hashes[team] = (await fixture.ReadSeriesAsync(team))[0].InputHash;
            }
        }

        return hashes;
    }

    private static List<bool> ChangedBetween(Dictionary<Guid, string> before, Dictionary<Guid, string> after, List<Guid> teams) =>
        [.. teams.Select(team => before[team] != after[team])];
}
