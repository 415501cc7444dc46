using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Rollup;
using InPsyq.Weekly.Scoring;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace InPsyq.Weekly.Tests.Rollup;

/// <summary>
/// Stage 1 against a real Postgres: the SQL rollup against the C# reference and hand-computed vectors, anonymity,
/// validation, the input hash and idempotency. Every test makes its own org, teams and items (item ids prefixed per
/// test), so the tests of this class share one database without seeing each other.
/// </summary>
public sealed class RollupStageTests(RollupStageTests.Fixture fixture) : IClassFixture<RollupStageTests.Fixture>
{
    public sealed class Fixture : IntegrationFixture
    {
        public RollupHarness Harness { get; private set; } = null!;

        public TenantBuilder Tenants { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Harness = new RollupHarness(DataSource);
            Tenants = new TenantBuilder(DataSource);

            // The local migrations block INVALID_ITEM rows with CHECKs; Azure may hold such rows, so this class's own
            // database drops them to show that the pipeline detects them itself.
            await Harness.ExecuteAsync(
                "alter table measurement_items drop constraint measurement_items_scale_check, drop constraint measurement_items_factor_check");
        }
    }

    private static readonly DateTimeOffset s_start = new(2025, 11, 17, 2, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(s_start);
    private readonly string _p = "t" + Guid.NewGuid().ToString("N")[..8];

    private RollupHarness Harness => fixture.Harness;

    private RollupStage Stage() => new(fixture.DataSource, _time);

    private static Guid Respondent(int n) => Guid.Parse($"00000000-0000-4000-8000-{n:D12}");

    [Fact]
    public async Task Standard_scores_respect_direction_and_inclusive_bounds_and_match_the_reference()
    {
        TestItem[] items =
        [
            new($"{_p}_el_agree", "emotional_load", 1, 5),
            new($"{_p}_el_reverse", "emotional_load", 0, 10, "HIGHER_IS_LESS"),
            new($"{_p}_meaning", "meaning", 1, 7),
        ];
        // standard scores:      el_agree              el_reverse (1 − s)    meaning
        // R1 at the bounds:     1   → 0               10 → 1 − 1 = 0        7 → 1
        // R2 at the bounds:     5   → 1               0  → 1 − 0 = 1        1 → 0
        // R3 inside:            2.5 → 1.5/4 = 0.375   3  → 1 − 0.3 = 0.7    4 → 3/6 = 0.5
        Answer[] answers =
        [
            new(Respondent(1), items[0].Id, 1), new(Respondent(1), items[1].Id, 10), new(Respondent(1), items[2].Id, 7),
            new(Respondent(2), items[0].Id, 5), new(Respondent(2), items[1].Id, 0), new(Respondent(2), items[2].Id, 1),
            new(Respondent(3), items[0].Id, 2.5m), new(Respondent(3), items[1].Id, 3), new(Respondent(3), items[2].Id, 4),
        ];
        await Harness.AddItemsAsync(items);
        var (orgId, teams) = await fixture.Tenants.AddOrgAsync(1, minRespondents: 2);
        await Harness.AddAnswersAsync(orgId, teams[0], answers);

        var outcome = await Harness.RunAsync(Stage(), orgId, teams[0]);

        Assert.Equal(StageStatus.Succeeded, outcome.Status);
        Assert.True(outcome.Wrote);
        var row = (await Harness.ReadAsync(teams[0]))!;
        Assert.Equal((orgId, 3, 9, false), (row.OrgId, row.Respondents, row.Responses, row.Suppressed));
        Assert.Equal(PipelineVersions.Compute, row.ComputeVersion);
        Assert.Equal(s_start, row.ComputedAt);
        Assert.Matches("^[0-9a-f]{64}$", row.InputHash);

        // emotional_load per respondent: (0 + 0)/2 = 0, (1 + 1)/2 = 1, (0.375 + 0.7)/2 = 0.5375 → mean 1.5375/3 = 0.5125;
        // sample variance (0.5125² + 0.4875² + 0.025²)/2 = 0.25046875 → sd √0.25046875 ≈ 0.5004685, se = sd/√3
        AssertFactor(row.Factors, "emotional_load", 0.5125, Math.Sqrt(0.25046875), 3);
        // meaning: 1, 0, 0.5 → mean 0.5; variance (0.25 + 0.25 + 0)/2 = 0.25 → sd 0.5, se 0.5/√3
        AssertFactor(row.Factors, "meaning", 0.5, 0.5, 3);
        Assert.Equal("emotional_load,meaning", Keys(row.Factors));

        var reference = RollupHarness.Reference(answers, items, minRespondents: 2);
        foreach (var (factor, stats) in reference)
        {
            AssertFactor(row.Factors, WireName.Of(factor), stats.Mean, stats.Sd, stats.N);
            Assert.Equal(stats.Se, row.Factors.GetProperty(WireName.Of(factor)).GetProperty("se").GetDouble(), 12);
        }

        // withdrawal_risk: 2 of its 3 terms present (⌈3/2⌉ = 2): mean(0.5125, 1 − 0.5) = 0.50625 → elevated
        // (≥ (0.55 + 0.30)/2 = 0.425, < 0.55); sigma = √((0.25046875/3 + 0.25/3)/2). The other three have 1 or 0 of 4/3.
        var withdrawal = row.Indices.GetProperty("withdrawal_risk");
        Assert.Equal(0.50625, withdrawal.GetProperty("value").GetDouble(), 12);
        Assert.Equal(Math.Sqrt(((0.25046875 / 3) + (0.25 / 3)) / 2), withdrawal.GetProperty("sigma").GetDouble(), 12);
        Assert.Equal("elevated", withdrawal.GetProperty("state").GetString());
        AssertIndicesAre(IndexCalculator.ComputeAll(reference), row.Indices);
    }

    [Fact]
    public async Task Missing_factors_are_absent_and_an_index_needs_half_its_factors_rounded_up()
    {
        TestItem[] items =
        [
            new($"{_p}_el", "emotional_load", 0, 4),
            new($"{_p}_control", "control", 0, 4),
            new($"{_p}_peers", "trust_peers", 0, 4),
        ];
        // emotional_load: 4 → 1, 2 → 0.5 (mean 0.75, sd √0.125, se 0.25); control: 0 → 0, 2 → 0.5 (mean 0.25, se 0.25);
        // trust_peers: 3 → 0.75 twice (mean 0.75, sd 0, se 0)
        Answer[] answers =
        [
            new(Respondent(1), items[0].Id, 4), new(Respondent(1), items[1].Id, 0), new(Respondent(1), items[2].Id, 3),
            new(Respondent(2), items[0].Id, 2), new(Respondent(2), items[1].Id, 2), new(Respondent(2), items[2].Id, 3),
        ];
        await Harness.AddItemsAsync(items);
        var (orgId, teams) = await fixture.Tenants.AddOrgAsync(1, minRespondents: 2);
        await Harness.AddAnswersAsync(orgId, teams[0], answers);

        await Harness.RunAsync(Stage(), orgId, teams[0]);

        var row = (await Harness.ReadAsync(teams[0]))!;
        Assert.Equal("control,emotional_load,trust_peers", Keys(row.Factors));
        AssertFactor(row.Factors, "trust_peers", 0.75, 0, 2);
        // strain: 2 of 4 terms (emotional_load, 1 − control) → mean(0.75, 0.75) = 0.75 → critical (≥ 0.75);
        // sigma √((0.25² + 0.25²)/2) = 0.25
        var strain = row.Indices.GetProperty("strain");
        Assert.Equal(0.75, strain.GetProperty("value").GetDouble(), 12);
        Assert.Equal(0.25, strain.GetProperty("sigma").GetDouble(), 12);
        Assert.Equal("critical", strain.GetProperty("state").GetString());
        // withdrawal_risk 1 of 3 (emotional_load), trust_gap 1 of 3 (trust_peers), engagement 1 of 4 (control):
        // not computed: the key kept, its value JSON null
        foreach (var index in new[] { "withdrawal_risk", "trust_gap", "engagement" })
        {
            Assert.Equal(JsonValueKind.Null, row.Indices.GetProperty(index).ValueKind);
        }

        AssertIndicesAre(IndexCalculator.ComputeAll(RollupHarness.Reference(answers, items, 2)), row.Indices);
    }

    [Fact]
    public async Task A_team_below_min_respondents_is_stored_suppressed_with_counts_only()
    {
        TestItem[] items = [new($"{_p}_el", "emotional_load", 1, 5), new($"{_p}_me", "meaning", 1, 5)];
        await Harness.AddItemsAsync(items);
        var (orgId, teams) = await fixture.Tenants.AddOrgAsync(2, minRespondents: 3);
        // k − 1 = 2 respondents vs k = 3 respondents, two answers each
        await Harness.AddAnswersAsync(orgId, teams[0], Everyone(2, items, value: 3));
        await Harness.AddAnswersAsync(orgId, teams[1], Everyone(3, items, value: 3, firstRespondent: 10));

        var below = await Harness.RunAsync(Stage(), orgId, teams[0]);
        var atMinimum = await Harness.RunAsync(Stage(), orgId, teams[1]);

        Assert.True(below.Wrote);
        Assert.True(atMinimum.Wrote);
        var suppressed = (await Harness.ReadAsync(teams[0]))!;
        Assert.Equal((2, 4, true), (suppressed.Respondents, suppressed.Responses, suppressed.Suppressed));
        Assert.Equal("{}", suppressed.Factors.GetRawText());
        Assert.Equal("{}", suppressed.Indices.GetRawText());
        var shown = (await Harness.ReadAsync(teams[1]))!;
        Assert.Equal((3, 6, false), (shown.Respondents, shown.Responses, shown.Suppressed));
        AssertFactor(shown.Factors, "emotional_load", 0.5, 0, 3);
        Assert.Equal(4, shown.Indices.EnumerateObject().Count());
    }

    [Fact]
    public async Task A_factor_answered_by_fewer_than_min_respondents_is_omitted()
    {
        TestItem[] items = [new($"{_p}_el", "emotional_load", 1, 5), new($"{_p}_me", "meaning", 1, 5)];
        await Harness.AddItemsAsync(items);
        var (orgId, teams) = await fixture.Tenants.AddOrgAsync(1, minRespondents: 3);
        // three respondents answer emotional_load, only two of them meaning
        await Harness.AddAnswersAsync(orgId, teams[0],
        [
            new(Respondent(1), items[0].Id, 1), new(Respondent(2), items[0].Id, 3), new(Respondent(3), items[0].Id, 5),
            new(Respondent(1), items[1].Id, 2), new(Respondent(2), items[1].Id, 4),
        ]);

        await Harness.RunAsync(Stage(), orgId, teams[0]);

        var row = (await Harness.ReadAsync(teams[0]))!;
        Assert.Equal((3, 5, false), (row.Respondents, row.Responses, row.Suppressed));
        // emotional_load 0, 0.5, 1 → mean 0.5, sd 0.5
        AssertFactor(row.Factors, "emotional_load", 0.5, 0.5, 3);
        Assert.False(row.Factors.TryGetProperty("meaning", out _));
    }

    [Fact]
    public async Task With_a_minimum_of_zero_nothing_is_suppressed_and_unanswered_factors_stay_absent()
    {
        TestItem[] items = [new($"{_p}_el", "emotional_load", 1, 5)];
        await Harness.AddItemsAsync(items);
        var (orgId, teams) = await fixture.Tenants.AddOrgAsync(1, minRespondents: 0);
        await Harness.AddAnswersAsync(orgId, teams[0], [new(Respondent(1), items[0].Id, 5)]);

        await Harness.RunAsync(Stage(), orgId, teams[0]);

        var row = (await Harness.ReadAsync(teams[0]))!;
        Assert.False(row.Suppressed);
        Assert.Equal("emotional_load", Keys(row.Factors));
        // a single respondent: sd 0 (not NULL), se 0
        AssertFactor(row.Factors, "emotional_load", 1, 0, 1);
    }

    [Fact]
    public async Task Invalid_values_fail_only_their_team_naming_the_first_item_and_never_the_value()
    {
        TestItem[] items =
        [
            new($"{_p}_a", "emotional_load", 1, 5), new($"{_p}_b", "emotional_load", 1, 5),
            new($"{_p}_c", "meaning", 1, 5), new($"{_p}_d", "meaning", 1, 5),
        ];
        await Harness.AddItemsAsync(items);
        var (orgId, teams) = await fixture.Tenants.AddOrgAsync(4, minRespondents: 1);
        await Harness.AddAnswersAsync(orgId, teams[0], Everyone(2, items, value: 5));
        await Harness.AddAnswersAsync(orgId, teams[1], [new(Respondent(11), items[0].Id, 2), new(Respondent(11), items[1].Id, null)]);
        // above the scale at _d and below it at _c, inserted _d first: _c comes first in item_id order
        await Harness.AddAnswersAsync(orgId, teams[2],
            [new(Respondent(21), items[3].Id, 987.25m), new(Respondent(22), items[2].Id, -3.5m), new(Respondent(22), items[0].Id, 1)]);
        await Harness.AddAnswersAsync(orgId, teams[3], [new(Respondent(31), items[1].Id, 5.0001m)]);

        var nullValue = await Assert.ThrowsAsync<StageFailedException>(() => Harness.RunAsync(Stage(), orgId, teams[1]));
        var outOfRange = await Assert.ThrowsAsync<StageFailedException>(() => Harness.RunAsync(Stage(), orgId, teams[2]));
        var justAbove = await Assert.ThrowsAsync<StageFailedException>(() => Harness.RunAsync(Stage(), orgId, teams[3]));
        var valid = await Harness.RunAsync(Stage(), orgId, teams[0]);

        Assert.Equal(("INVALID_VALUE", true), (nullValue.Code, nullValue.Message.Contains($"'{_p}_b'", StringComparison.Ordinal)));
        Assert.Equal(("INVALID_VALUE", true), (outOfRange.Code, outOfRange.Message.Contains($"'{_p}_c'", StringComparison.Ordinal)));
        Assert.DoesNotContain($"{_p}_d", outOfRange.Message, StringComparison.Ordinal);
        Assert.Equal(("INVALID_VALUE", true), (justAbove.Code, justAbove.Message.Contains($"'{_p}_b'", StringComparison.Ordinal)));
        foreach (var message in new[] { outOfRange.Message, justAbove.Message }.Select(message => message.Replace(_p, "", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain("987", message, StringComparison.Ordinal);
            Assert.DoesNotContain("3.5", message, StringComparison.Ordinal);
            Assert.DoesNotContain("5.0001", message, StringComparison.Ordinal);
        }

        Assert.Null(await Harness.ReadAsync(teams[1]));
        Assert.Null(await Harness.ReadAsync(teams[2]));
        Assert.Null(await Harness.ReadAsync(teams[3]));
        Assert.True(valid.Wrote);
        Assert.NotNull(await Harness.ReadAsync(teams[0]));
    }

    [Fact]
    public async Task Invalid_items_fail_only_their_team_and_the_first_offending_item_in_item_id_order_decides_the_code()
    {
        TestItem[] items =
        [
            new($"{_p}_ok", "emotional_load", 1, 5),
            new($"{_p}_flat", "emotional_load", 3, 3),
            new($"{_p}_inverted", "emotional_load", 5, 1),
            new($"{_p}_happiness", "happiness", 1, 5),
            new($"{_p}_a_item", "wellbeing", 1, 5),
            new($"{_p}_a_value", "meaning", 1, 5),
            new($"{_p}_b_item", "wellbeing", 1, 5),
            new($"{_p}_b_value", "meaning", 1, 5),
        ];
        await Harness.AddItemsAsync(items);
        var (orgId, teams) = await fixture.Tenants.AddOrgAsync(6, minRespondents: 1);
        await Harness.AddAnswersAsync(orgId, teams[0], [new(Respondent(1), $"{_p}_ok", 4)]);
        await Harness.AddAnswersAsync(orgId, teams[1], [new(Respondent(11), $"{_p}_ok", 4), new(Respondent(11), $"{_p}_flat", 3)]);
        await Harness.AddAnswersAsync(orgId, teams[2], [new(Respondent(21), $"{_p}_inverted", 3)]);
        await Harness.AddAnswersAsync(orgId, teams[3], [new(Respondent(31), $"{_p}_happiness", 3)]);
        // an invalid value at _a_value sorts before the invalid item _b_item, and the invalid item _a_item before _b_value
        await Harness.AddAnswersAsync(orgId, teams[4], [new(Respondent(41), $"{_p}_b_item", 3), new(Respondent(41), $"{_p}_a_value", 9)]);
        await Harness.AddAnswersAsync(orgId, teams[5], [new(Respondent(51), $"{_p}_b_value", 0), new(Respondent(51), $"{_p}_a_item", 3)]);

        var failures = new List<StageFailedException>();
        for (var i = 1; i < teams.Count; i++)
        {
            failures.Add(await Assert.ThrowsAsync<StageFailedException>(() => Harness.RunAsync(Stage(), orgId, teams[i])));
        }

        var valid = await Harness.RunAsync(Stage(), orgId, teams[0]);

        Assert.Equal(
            [
                ("INVALID_ITEM", $"{_p}_flat"), ("INVALID_ITEM", $"{_p}_inverted"), ("INVALID_ITEM", $"{_p}_happiness"),
                ("INVALID_VALUE", $"{_p}_a_value"), ("INVALID_ITEM", $"{_p}_a_item"),
            ],
            failures.Select(failure => (failure.Code, NamedItem(failure.Message))));
        foreach (var team in teams.Skip(1))
        {
            Assert.Null(await Harness.ReadAsync(team));
        }

        Assert.True(valid.Wrote);
    }

    [Fact]
    public async Task The_input_hash_is_the_documented_canonical_text_and_independent_of_insert_order_across_databases()
    {
        // Three items per factor so that a float sum in row order could differ in its last bits.
        TestItem[] items =
        [
            new($"{_p}_el1", "emotional_load", 1, 5), new($"{_p}_el2", "emotional_load", 0, 10, "HIGHER_IS_LESS"),
            new($"{_p}_el3", "emotional_load", 1, 7), new($"{_p}_me1", "meaning", 1, 5), new($"{_p}_me2", "meaning", 1, 3),
            new($"{_p}_me3", "meaning", 0, 100, "HIGHER_IS_LESS"),
        ];
        var random = new Random(7);
        var answers = Enumerable.Range(1, 6)
            .SelectMany(r => items.Select(item => new Answer(Respondent(r), item.Id, item.Min + (random.Next(0, 11) * (item.Max - item.Min) / 10))))
            .ToList();
        var shuffled = answers.OrderBy(_ => random.Next()).ToList();

        var connectionString = await TestDatabases.CreateAsync();
        try
        {
            await using var otherDataSource = NpgsqlDataSource.Create(connectionString);
            var other = new RollupHarness(otherDataSource);
            await Harness.AddItemsAsync(items);
            await other.AddItemsAsync(items);
            var (orgId, teams) = await fixture.Tenants.AddOrgAsync(1, minRespondents: 2);
            var (otherOrgId, otherTeams) = await new TenantBuilder(otherDataSource).AddOrgAsync(1, minRespondents: 2);
            await Harness.AddAnswersAsync(orgId, teams[0], answers);
            await other.AddAnswersAsync(otherOrgId, otherTeams[0], Enumerable.Reverse(shuffled));

            await Harness.RunAsync(Stage(), orgId, teams[0]);
            await other.RunAsync(new RollupStage(otherDataSource, _time), otherOrgId, otherTeams[0]);

            var row = (await Harness.ReadAsync(teams[0]))!;
            var otherRow = (await other.ReadAsync(otherTeams[0]))!;
            Assert.Equal(CanonicalHash(answers, items, minRespondents: 2, PipelineVersions.Compute), row.InputHash);
            Assert.Equal(row.InputHash, otherRow.InputHash);
            // The aggregates order their inputs, so even the last bits of the stored doubles agree.
            Assert.Equal(row.Factors.GetRawText(), otherRow.Factors.GetRawText());
            Assert.Equal(row.Indices.GetRawText(), otherRow.Indices.GetRawText());
        }
        finally
        {
            await TestDatabases.DropAsync(connectionString);
        }
    }

    [Fact]
    public async Task An_unchanged_rerun_skips_with_hash_match_and_writes_nothing()
    {
        var (orgId, teams) = await TeamsWithAnswersAsync(1);
        var first = await Harness.RunAsync(Stage(), orgId, teams[0]);
        var written = (await Harness.ReadAsync(teams[0]))!;
        _time.Advance(TimeSpan.FromHours(1));

        var second = await Harness.RunAsync(Stage(), orgId, teams[0]);

        Assert.True(first.Wrote);
        Assert.Equal((StageStatus.Skipped, "hash_match", false), (second.Status, second.Reason, second.Wrote));
        var after = (await Harness.ReadAsync(teams[0]))!;
        Assert.Equal((written.RowVersion, written.ComputedAt, written.RunId), (after.RowVersion, after.ComputedAt, after.RunId));
    }

    [Fact]
    public async Task Changing_one_response_changes_only_that_teams_hash()
    {
        var (orgId, teams) = await TeamsWithAnswersAsync(2);
        await Harness.RunAsync(Stage(), orgId, teams[0]);
        await Harness.RunAsync(Stage(), orgId, teams[1]);
        var (before0, before1) = ((await Harness.ReadAsync(teams[0]))!, (await Harness.ReadAsync(teams[1]))!);

        await Harness.ExecuteAsync(
            "update measurement_responses set value = 1 where team_id = $1 and item_id = $2 and respondent_id = $3",
            teams[0], $"{_p}_el", Respondent(1));
        var changed = await Harness.RunAsync(Stage(), orgId, teams[0]);
        var unchanged = await Harness.RunAsync(Stage(), orgId, teams[1]);

        Assert.True(changed.Wrote);
        Assert.Equal("hash_match", unchanged.Reason);
        var (after0, after1) = ((await Harness.ReadAsync(teams[0]))!, (await Harness.ReadAsync(teams[1]))!);
        Assert.NotEqual(before0.InputHash, after0.InputHash);
        Assert.Equal((before1.InputHash, before1.RowVersion), (after1.InputHash, after1.RowVersion));
    }

    [Fact]
    public async Task A_compute_version_bump_invalidates_the_stored_hash()
    {
        var (orgId, teams) = await TeamsWithAnswersAsync(1);
        await Harness.RunAsync(Stage(), orgId, teams[0]);
        var before = (await Harness.ReadAsync(teams[0]))!;
        var bumped = new RollupStage(fixture.DataSource, _time, PipelineVersions.Compute + "-bumped");

        var rerun = await Harness.RunAsync(bumped, orgId, teams[0]);
        var again = await Harness.RunAsync(bumped, orgId, teams[0]);

        Assert.True(rerun.Wrote);
        Assert.Equal("hash_match", again.Reason);
        var after = (await Harness.ReadAsync(teams[0]))!;
        Assert.Equal(PipelineVersions.Compute + "-bumped", after.ComputeVersion);
        Assert.NotEqual(before.InputHash, after.InputHash);
    }

    [Fact]
    public async Task Force_rewrites_an_unchanged_team()
    {
        var (orgId, teams) = await TeamsWithAnswersAsync(1);
        await Harness.RunAsync(Stage(), orgId, teams[0]);
        var before = (await Harness.ReadAsync(teams[0]))!;
        _time.Advance(TimeSpan.FromMinutes(5));

        var forced = await Harness.RunAsync(Stage(), orgId, teams[0], force: true);

        Assert.Equal((StageStatus.Succeeded, true), (forced.Status, forced.Wrote));
        var after = (await Harness.ReadAsync(teams[0]))!;
        Assert.Equal(before.InputHash, after.InputHash);
        Assert.Equal(s_start.AddMinutes(5), after.ComputedAt);
        Assert.NotEqual(before.RowVersion, after.RowVersion);
        Assert.NotEqual(before.RunId, after.RunId);
    }

    [Fact]
    public async Task A_team_without_responses_that_week_gets_no_row_and_reports_no_data()
    {
        TestItem[] items = [new($"{_p}_el", "emotional_load", 1, 5)];
        await Harness.AddItemsAsync(items);
        var (orgId, teams) = await fixture.Tenants.AddOrgAsync(1, minRespondents: 1);
        // answers of the week before do not count
        await Harness.AddAnswersAsync(orgId, teams[0], Everyone(3, items, value: 2), RollupHarness.Week.AddWeeks(-1));

        var outcome = await Harness.RunAsync(Stage(), orgId, teams[0]);
        var forced = await Harness.RunAsync(Stage(), orgId, teams[0], force: true);

        Assert.Equal((StageStatus.Skipped, "no_data", false), (outcome.Status, outcome.Reason, outcome.Wrote));
        Assert.Equal("no_data", forced.Reason);
        Assert.Null(await Harness.ReadAsync(teams[0]));
    }

    [Fact]
    public async Task The_plan_says_what_a_run_would_do_without_writing()
    {
        var (orgId, teams) = await TeamsWithAnswersAsync(1);
        var (emptyOrgId, emptyTeams) = await fixture.Tenants.AddOrgAsync(1);

        Assert.Equal(StagePlan.Skip("no_data"), await Harness.PlanAsync(Stage(), emptyOrgId, emptyTeams[0]));
        Assert.Equal(StagePlan.Run("input_changed"), await Harness.PlanAsync(Stage(), orgId, teams[0]));
        Assert.Null(await Harness.ReadAsync(teams[0]));

        await Harness.RunAsync(Stage(), orgId, teams[0]);
        Assert.Equal(StagePlan.Skip("hash_match"), await Harness.PlanAsync(Stage(), orgId, teams[0]));
        Assert.Equal(StagePlan.Run("forced"), await Harness.PlanAsync(Stage(), orgId, teams[0], force: true));

        // min_respondents is part of the hash
        await Harness.ExecuteAsync("update orgs set min_respondents = min_respondents + 1 where org_id = $1", orgId);
        Assert.Equal(StagePlan.Run("input_changed"), await Harness.PlanAsync(Stage(), orgId, teams[0]));
    }

    /// <summary>Teams with the same answers (2 items, 3 respondents of their own), in an org with min_respondents 2.</summary>
    private async Task<(Guid OrgId, List<Guid> Teams)> TeamsWithAnswersAsync(int count)
    {
        TestItem[] items = [new($"{_p}_el", "emotional_load", 1, 5), new($"{_p}_me", "meaning", 1, 5, "HIGHER_IS_LESS")];
        await Harness.AddItemsAsync(items);
        var (orgId, teams) = await fixture.Tenants.AddOrgAsync(count, minRespondents: 2);
        for (var i = 0; i < count; i++)
        {
            await Harness.AddAnswersAsync(orgId, teams[i], Everyone(3, items, value: 4, firstRespondent: 1 + (i * 100)));
        }

        return (orgId, teams);
    }

    private static IEnumerable<Answer> Everyone(int respondents, IEnumerable<TestItem> items, decimal value, int firstRespondent = 1) =>
        Enumerable.Range(firstRespondent, respondents).SelectMany(r => items.Select(item => new Answer(Respondent(r), item.Id, value)));

    /// <summary>The canonical text of <see cref="RollupQuery"/>'s remarks, built independently in C#.</summary>
    private static string CanonicalHash(IEnumerable<Answer> answers, IEnumerable<TestItem> items, int minRespondents, string computeVersion)
    {
        var byId = items.ToDictionary(item => item.Id);
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"compute_version={computeVersion}\nmin_respondents={minRespondents}\n");
        foreach (var respondent in answers.GroupBy(answer => answer.Respondent.ToString("D")).OrderBy(group => group.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"r={respondent.Key}\n");
            foreach (var answer in respondent.OrderBy(answer => answer.Item, StringComparer.Ordinal).ThenBy(answer => answer.Value))
            {
                var item = byId[answer.Item];
                text.Append(CultureInfo.InvariantCulture,
                    $"{item.Id.Length}:{item.Id}|{item.Factor}|{item.Min}|{item.Max}|{item.Direction}|{answer.Value}\n");
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string Keys(JsonElement document) =>
        string.Join(',', document.EnumerateObject().Select(property => property.Name).Order(StringComparer.Ordinal));

    private static string NamedItem(string message) => message.Split('\'')[1];

    private static void AssertFactor(JsonElement factors, string factor, double mean, double sd, int n)
    {
        var stats = factors.GetProperty(factor);
        Assert.Equal(mean, stats.GetProperty("mean").GetDouble(), 12);
        Assert.Equal(sd, stats.GetProperty("sd").GetDouble(), 12);
        Assert.Equal(n, stats.GetProperty("n").GetInt32());
        Assert.Equal(sd / Math.Sqrt(n), stats.GetProperty("se").GetDouble(), 12);
    }

    private static void AssertIndicesAre(IReadOnlyDictionary<IndexKind, IndexResult> expected, JsonElement indices)
    {
        Assert.Equal(string.Join(',', expected.Keys.Select(WireName.Of).Order(StringComparer.Ordinal)), Keys(indices));
        foreach (var (kind, result) in expected)
        {
            var stored = indices.GetProperty(WireName.Of(kind));
            if (result.Value is null)
            {
                Assert.Equal(JsonValueKind.Null, stored.ValueKind);
                continue;
            }

            Assert.Equal(result.Value.Value, stored.GetProperty("value").GetDouble(), 12);
            Assert.Equal(result.Sigma!.Value, stored.GetProperty("sigma").GetDouble(), 12);
            Assert.Equal(WireName.Of(result.State!.Value), stored.GetProperty("state").GetString());
        }
    }
}
