using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.UnitTests.Attribution;

public class AttributionCalculatorTests
{
    private const double OrgMean = 0.5;

    [Fact]
    public void Drivers_are_banded_and_minor_ones_dropped_but_counted_in_the_mass()
    {
        // strain terms vs org 0.5: emotional_load d 0.12 → 0.8 MAJOR; cognitive_dissonance d 0 → not listed;
        // autonomy_friction d 0.06 → 0.4 MODERATE; 1-control 0.53 − 0.5 = 0.03 → 0.2 MINOR, dropped
        var attribution = Compute(Input(IndexDefinitions.Strain, new()
        {
            [Factor.EmotionalLoad] = 0.62,
            [Factor.CognitiveDissonance] = 0.5,
            [Factor.AutonomyFriction] = 0.56,
            [Factor.Control] = 0.47,
        }));

        Assert.Equal(["emotional_load", "autonomy_friction"], attribution.Internal.Select(driver => driver.Term));
        Assert.Equal([DriverBand.Major, DriverBand.Moderate], attribution.Internal.Select(driver => driver.Band));
        Assert.Equal([Severity.C3, Severity.C2], attribution.Internal.Select(driver => driver.Severity));
        Assert.Equal(0.12, attribution.Internal[0].D, 9);
        Assert.Equal(0.8, attribution.Internal[0].Contribution, 9);
        Assert.Equal(1.4, attribution.Masses.Internal, 9); // 0.8 + 0.4 + 0.2
        Assert.Empty(attribution.Flags);
    }

    [Fact]
    public void Only_minor_drivers_are_kept_when_there_is_nothing_bigger()
    {
        var attribution = Compute(Input(IndexDefinitions.Strain, new()
        {
            [Factor.EmotionalLoad] = 0.53,
            [Factor.CognitiveDissonance] = 0.52,
        }));

        Assert.Equal(["emotional_load", "cognitive_dissonance"], attribution.Internal.Select(driver => driver.Term));
        Assert.All(attribution.Internal, driver => Assert.Equal(DriverBand.Minor, driver.Band));
    }

    [Fact]
    public void Equal_contributions_sort_by_term_name_and_all_four_terms_can_be_listed()
    {
        // every term 0.06 worse than the org → 0.4 each; ordinal term names: "1-control" < "autonomy_friction" < …
        var attribution = Compute(Input(IndexDefinitions.Strain, new()
        {
            [Factor.EmotionalLoad] = 0.56,
            [Factor.CognitiveDissonance] = 0.56,
            [Factor.AutonomyFriction] = 0.56,
            [Factor.Control] = 0.44,
        }));

        Assert.Equal(
            ["1-control", "autonomy_friction", "cognitive_dissonance", "emotional_load"],
            attribution.Internal.Select(driver => driver.Term));
        Assert.True(attribution.Internal[0].Inverted);
        Assert.Equal(Factor.Control, attribution.Internal[0].Factor);
    }

    [Fact]
    public void Drivers_sort_by_contribution_first()
    {
        var attribution = Compute(Input(IndexDefinitions.Strain, new()
        {
            [Factor.EmotionalLoad] = 0.56,       // 0.4
            [Factor.CognitiveDissonance] = 0.65, // 1.0
            [Factor.AutonomyFriction] = 0.59,    // 0.6
        }));

        Assert.Equal(["cognitive_dissonance", "autonomy_friction", "emotional_load"], attribution.Internal.Select(driver => driver.Term));
    }

    [Theory]
    [InlineData(0.3, 1.0)]   // 0.3 / 0.15 = 2, clamped to 1
    [InlineData(0.15, 1.0)]
    [InlineData(0.075, 0.5)]
    public void Contribution_is_the_gap_over_fifteen_hundredths_clamped(double d, double expected)
    {
        var attribution = Compute(Input(IndexDefinitions.Strain, new() { [Factor.EmotionalLoad] = OrgMean + d }));

        Assert.Equal(expected, Assert.Single(attribution.Internal).Contribution, 9);
    }

    [Fact]
    public void Terms_better_than_the_org_are_not_listed()
    {
        var attribution = Compute(Input(IndexDefinitions.Strain, new() { [Factor.EmotionalLoad] = 0.4, [Factor.Control] = 0.6 }));

        Assert.Empty(attribution.Internal);
        Assert.Equal(0, attribution.Masses.Internal);
    }

    [Fact]
    public void For_engagement_a_lower_term_is_the_worse_one()
    {
        var attribution = Compute(Input(IndexDefinitions.Engagement, new()
        {
            [Factor.Engagement] = 0.35, // 0.15 below the org → d = +0.15 → 1
            [Factor.Meaning] = 0.65,    // above the org: better, not listed
        }));

        var driver = Assert.Single(attribution.Internal);
        Assert.Equal("engagement", driver.Term);
        Assert.Equal(0.15, driver.D, 9);
        Assert.Equal(1.0, driver.Contribution, 9);
    }

    [Theory]
    [InlineData(0.19, DriverBand.Minor, Severity.C0)]
    [InlineData(0.2, DriverBand.Minor, Severity.C1)]
    [InlineData(0.349999, DriverBand.Minor, Severity.C1)]
    [InlineData(0.35, DriverBand.Moderate, Severity.C1)]
    [InlineData(0.399999, DriverBand.Moderate, Severity.C1)]
    [InlineData(0.4, DriverBand.Moderate, Severity.C2)]
    [InlineData(0.599999, DriverBand.Moderate, Severity.C2)]
    [InlineData(0.6, DriverBand.Major, Severity.C2)]
    [InlineData(0.799999, DriverBand.Major, Severity.C2)]
    [InlineData(0.8, DriverBand.Major, Severity.C3)]
    public void Band_and_severity_boundaries(double contribution, DriverBand band, Severity severity)
    {
        var attribution = Compute(Input(IndexDefinitions.Strain, new() { [Factor.EmotionalLoad] = OrgMean + (contribution * 0.15) }));

        var driver = Assert.Single(attribution.Internal);
        Assert.Equal(band, driver.Band);
        Assert.Equal(severity, driver.Severity);
    }

    [Theory]
    [InlineData(0.49, Severity.C3)] // worsened by 0.11 > 0.1
    [InlineData(0.50, Severity.C2)] // 0.6 − 0.5 = 0.09999999999999998, rounds to 0.1: not > 0.1
    public void A_C2_of_at_least_sixty_hundredths_escalates_when_its_term_worsened_by_more_than_a_tenth(
        double previousEmotionalLoad, Severity expected)
    {
        // d = 0.1 → contribution 0.667: C2 and ≥ 0.6
        var input = Input(IndexDefinitions.Strain, new() { [Factor.EmotionalLoad] = 0.6 }) with
        {
            PreviousFactorMeans = new Dictionary<Factor, double> { [Factor.EmotionalLoad] = previousEmotionalLoad },
        };

        Assert.Equal(expected, Assert.Single(Compute(input).Internal).Severity);
    }

    [Fact]
    public void A_C2_below_sixty_hundredths_does_not_escalate_however_much_it_worsened()
    {
        var input = Input(IndexDefinitions.Strain, new() { [Factor.EmotionalLoad] = OrgMean + (0.59 * 0.15) }) with
        {
            PreviousFactorMeans = new Dictionary<Factor, double> { [Factor.EmotionalLoad] = 0.1 },
        };

        Assert.Equal(Severity.C2, Assert.Single(Compute(input).Internal).Severity);
    }

    [Fact]
    public void Without_a_previous_week_or_its_factor_there_is_no_escalation()
    {
        var noPreviousWeek = Input(IndexDefinitions.Strain, new() { [Factor.EmotionalLoad] = 0.6 });
        var factorMissingLastWeek = noPreviousWeek with { PreviousFactorMeans = new Dictionary<Factor, double> { [Factor.Meaning] = 0.1 } };

        Assert.Equal(Severity.C2, Assert.Single(Compute(noPreviousWeek).Internal).Severity);
        Assert.Equal(Severity.C2, Assert.Single(Compute(factorMissingLastWeek).Internal).Severity);
    }

    [Fact]
    public void For_engagement_escalation_follows_the_worse_direction()
    {
        // team engagement 0.38 vs org 0.48: d = 0.10 → 0.667 (C2)
        var input = Input(IndexDefinitions.Engagement, new() { [Factor.Engagement] = 0.38 }) with
        {
            OrgFactorMeans = AllFactors(0.48),
        };
        var fell = input with { PreviousFactorMeans = new Dictionary<Factor, double> { [Factor.Engagement] = 0.50 } };
        var rose = input with { PreviousFactorMeans = new Dictionary<Factor, double> { [Factor.Engagement] = 0.26 } };

        Assert.Equal(Severity.C3, Assert.Single(Compute(fell).Internal).Severity);
        Assert.Equal(Severity.C2, Assert.Single(Compute(rose).Internal).Severity);
    }

    [Theory]
    [InlineData(4, 0.4, Severity.C2, true)]
    [InlineData(5, 0.5, Severity.C3, false)]
    [InlineData(12, 1.0, Severity.C3, false)] // min(1, 1.2)
    public void A_C3_with_confidence_below_half_is_capped(int respondents, double confidence, Severity severity, bool capped)
    {
        var input = Input(IndexDefinitions.Strain, new() { [Factor.EmotionalLoad] = 0.65 }) with { Respondents = respondents };

        var driver = Assert.Single(Compute(input).Internal);

        Assert.Equal(confidence, driver.Confidence, 12);
        Assert.Equal(severity, driver.Severity);
        Assert.Equal(capped, driver.Flags.Contains(AttributionFlags.ConfidenceCapped));
    }

    [Fact]
    public void The_cap_applies_after_escalation()
    {
        var input = Input(IndexDefinitions.Strain, new() { [Factor.EmotionalLoad] = 0.6 }) with
        {
            Respondents = 3,
            PreviousFactorMeans = new Dictionary<Factor, double> { [Factor.EmotionalLoad] = 0.3 },
        };

        var driver = Assert.Single(Compute(input).Internal);

        Assert.Equal(Severity.C2, driver.Severity);
        Assert.Equal([AttributionFlags.ConfidenceCapped], driver.Flags);
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public void Fewer_than_three_baseline_teams_means_no_internal_drivers(int baselineTeams, bool noBaseline)
    {
        var input = Input(IndexDefinitions.Strain, new() { [Factor.EmotionalLoad] = 0.65 }) with { BaselineTeamCount = baselineTeams };

        var attribution = Compute(input);

        Assert.Equal(noBaseline, attribution.Flags.Contains(AttributionFlags.NoOrgBaseline));
        Assert.Equal(noBaseline ? 0 : 1, attribution.Internal.Count);
        Assert.Equal(noBaseline ? 0 : 1, attribution.Masses.Internal, 9);
    }

    [Fact]
    public void External_dependencies_are_the_upstreams_whose_index_worsened()
    {
        var improved = Upstream(1, DependencyKind.Process, 1.0, delta: -0.1);
        var noEarlierValue = Upstream(2, DependencyKind.Process, 1.0, delta: null);
        var worsened = Upstream(3, DependencyKind.Process, 1.0, delta: 0.1);      // w 0.1 → 1 × 0.1 / 0.2 = 0.5 → D2
        var halfWeight = Upstream(4, DependencyKind.Organizational, 0.5, 0.3);    // 0.5 × 0.3 / 0.2 = 0.75 → D3
        var steep = Upstream(5, DependencyKind.TemporalDeadline, 1.0, delta: 0.5); // 2.5 → clamped to 1

        var attribution = Compute(Input(IndexDefinitions.Strain, new()) with { Upstreams = [improved, noEarlierValue, worsened, halfWeight, steep] });

        Assert.Equal([Id(5), Id(4), Id(3)], attribution.External.Select(dependency => dependency.UpstreamTeamId));
        Assert.Equal([1.0, 0.75, 0.5], attribution.External.Select(dependency => Math.Round(dependency.Impact, 9)));
        Assert.Equal([DependencyLevel.D3, DependencyLevel.D3, DependencyLevel.D2], attribution.External.Select(dependency => dependency.Level));
        Assert.Equal(
            [Controllability.Low, Controllability.Low, Controllability.Medium],
            attribution.External.Select(dependency => dependency.Controllability));
        Assert.Equal(0.3, attribution.External[1].W, 12);
        Assert.Equal(0.5, attribution.External[1].Weight);
    }

    [Theory]
    [InlineData(-0.1, true)]
    [InlineData(0.1, false)]
    public void For_engagement_an_upstream_worsens_when_its_index_falls(double delta, bool listed)
    {
        var input = Input(IndexDefinitions.Engagement, new()) with { Upstreams = [Upstream(1, DependencyKind.Process, 1.0, delta)] };

        var external = Compute(input).External;

        Assert.Equal(listed, external.Count == 1);
        Assert.All(external, dependency => Assert.Equal(0.1, dependency.W, 12));
    }

    [Theory]
    [InlineData(0.299999, false, DependencyLevel.D1)]
    [InlineData(0.3, false, DependencyLevel.D2)]
    [InlineData(0.599999, false, DependencyLevel.D2)]
    [InlineData(0.6, false, DependencyLevel.D3)]
    [InlineData(0.1, true, DependencyLevel.D2)]
    [InlineData(0.3, true, DependencyLevel.D3)]
    [InlineData(0.6, true, DependencyLevel.D3)] // raised, but capped at D3
    public void Dependency_levels_and_the_persistence_raise(double impact, bool persistent, DependencyLevel expected)
    {
        var upstream = Upstream(1, DependencyKind.Process, 1.0, delta: impact * 0.2) with { IsPersistentlyWorsening = persistent };

        var dependency = Assert.Single(Compute(Input(IndexDefinitions.Strain, new()) with { Upstreams = [upstream] }).External);

        Assert.Equal(expected, dependency.Level);
        Assert.Equal(persistent, dependency.Persistent);
    }

    [Fact]
    public void At_most_three_dependencies_by_impact_then_team_id_and_the_mass_counts_them_all()
    {
        var low = new Guid("10000000-0000-0000-0000-000000000000");
        var high = new Guid("80000000-0000-0000-0000-000000000000"); // sorts after low like Postgres uuids and strings
        var attribution = Compute(Input(IndexDefinitions.Strain, new()) with
        {
            Upstreams =
            [
                Upstream(7, DependencyKind.Process, 1.0, delta: 0.1),  // 0.5
                Upstream(9, DependencyKind.Process, 1.0, delta: 0.04), // 0.2
                new UpstreamSignal(high, DependencyKind.Process, 1.0, 0.1, false),     // 0.5
                Upstream(3, DependencyKind.Process, 1.0, delta: 0.18), // 0.9
                new UpstreamSignal(low, DependencyKind.Process, 0.5, 0.2, false),      // 0.5, 0.1 + 0.1 ≠ 0.2 shows rounding
            ],
        });

        Assert.Equal([Id(3), Id(7), low], attribution.External.Select(dependency => dependency.UpstreamTeamId));
        Assert.Equal(2.6, attribution.Masses.External, 9); // 0.9 + 0.5 + 0.5 + 0.5 + 0.2, before the cut to 3
    }

    [Fact]
    public void No_upstream_means_no_external_dependencies()
    {
        var attribution = Compute(Input(IndexDefinitions.Strain, new()));

        Assert.Empty(attribution.External);
        Assert.Equal(0, attribution.Masses.External);
    }

    [Theory]
    [InlineData(0.6, 0.0, PrimarySource.Internal)]
    [InlineData(0.6, 0.349999, PrimarySource.Internal)]
    [InlineData(0.6, 0.35, PrimarySource.Mixed)]
    [InlineData(0.599999, 0.0, PrimarySource.Mixed)]
    [InlineData(0.0, 0.6, PrimarySource.External)]
    [InlineData(0.349999, 0.6, PrimarySource.External)]
    [InlineData(0.35, 0.6, PrimarySource.Mixed)]
    [InlineData(0.0, 0.0, PrimarySource.Mixed)]
    [InlineData(1.0, 1.0, PrimarySource.Mixed)]
    public void Primary_source_from_the_masses(double internalMass, double externalMass, PrimarySource expected)
    {
        var input = Input(IndexDefinitions.Strain, new() { [Factor.EmotionalLoad] = OrgMean + (internalMass * 0.15) }) with
        {
            Upstreams = [Upstream(1, DependencyKind.Process, 1.0, delta: externalMass * 0.2)],
        };

        Assert.Equal(expected, Compute(input).PrimarySource);
    }

    [Fact]
    public void Pruned_minor_drivers_still_make_the_source_internal()
    {
        // 0.35 (MODERATE, listed) + 0.3 (MINOR, dropped) = 0.65 ≥ 0.60
        var attribution = Compute(Input(IndexDefinitions.Strain, new()
        {
            [Factor.EmotionalLoad] = OrgMean + (0.35 * 0.15),
            [Factor.CognitiveDissonance] = OrgMean + (0.3 * 0.15),
        }));

        Assert.Single(attribution.Internal);
        Assert.Equal(PrimarySource.Internal, attribution.PrimarySource);
    }

    [Theory]
    [InlineData(DependencyKind.Organizational, 0.53, PropagationRisk.High)]
    [InlineData(DependencyKind.TemporalDeadline, 0.53, PropagationRisk.High)]
    [InlineData(DependencyKind.Process, 0.53, PropagationRisk.Low)]        // D3 but medium controllability
    [InlineData(DependencyKind.Organizational, 0.52, PropagationRisk.Low)] // team delta 0.52 − 0.5 rounds to 0.02: not > 0.02
    [InlineData(DependencyKind.Organizational, 0.47, PropagationRisk.Low)] // improving
    public void High_propagation_needs_a_low_controllability_D3_and_a_worsening_team(
        DependencyKind kind, double thisWeek, PropagationRisk expected)
    {
        var input = Input(IndexDefinitions.Strain, new()) with
        {
            Series = SeriesOf(IndexDefinitions.Strain, 0.5, thisWeek),
            Upstreams = [Upstream(1, kind, 1.0, delta: 0.12)], // impact 0.6 → D3, EXTERNAL so never MIXED
        };

        Assert.Equal(expected, Compute(input).PropagationRisk);
    }

    [Theory]
    [InlineData(0.47, PropagationRisk.High)] // engagement fell by 0.03: worsening
    [InlineData(0.53, PropagationRisk.Low)]
    public void For_engagement_a_worsening_team_is_a_falling_one(double thisWeek, PropagationRisk expected)
    {
        var input = Input(IndexDefinitions.Engagement, new()) with
        {
            Series = SeriesOf(IndexDefinitions.Engagement, 0.5, thisWeek),
            Upstreams = [Upstream(1, DependencyKind.Organizational, 1.0, delta: -0.12)],
        };

        Assert.Equal(expected, Compute(input).PropagationRisk);
    }

    [Theory]
    [InlineData(0.06, PropagationRisk.Elevated)] // two D2 (impact 0.3 each)
    [InlineData(0.059, PropagationRisk.Low)]     // impact 0.295: two D1
    public void Two_D2_or_higher_dependencies_are_elevated(double upstreamDelta, PropagationRisk expected)
    {
        var input = Input(IndexDefinitions.Strain, new()) with
        {
            Upstreams = [Upstream(1, DependencyKind.Process, 1.0, upstreamDelta), Upstream(2, DependencyKind.Process, 1.0, upstreamDelta)],
        };

        // the flat series has volatility 0, so the MIXED branch cannot be what elevates
        Assert.Equal(expected, Compute(input).PropagationRisk);
    }

    [Theory]
    [InlineData(0.15, PropagationRisk.Elevated)]
    [InlineData(0.149, PropagationRisk.Low)]
    public void A_mixed_source_with_high_volatility_is_elevated(double swing, PropagationRisk expected)
    {
        // no drivers, no dependencies → MIXED; last four values 0.5 ± swing → volatility = swing
        var input = Input(IndexDefinitions.Strain, new()) with
        {
            Series = SeriesOf(IndexDefinitions.Strain, 0.5 - swing, 0.5 + swing, 0.5 - swing, 0.5 + swing),
        };

        var attribution = Compute(input);

        Assert.Equal(PrimarySource.Mixed, attribution.PrimarySource);
        Assert.Equal(expected, attribution.PropagationRisk);
    }

    [Fact]
    public void High_volatility_is_not_elevated_when_the_source_is_not_mixed()
    {
        var input = Input(IndexDefinitions.Strain, new() { [Factor.EmotionalLoad] = 0.65 }) with
        {
            Series = SeriesOf(IndexDefinitions.Strain, 0.3, 0.6, 0.3, 0.6),
        };

        var attribution = Compute(input);

        Assert.Equal(PrimarySource.Internal, attribution.PrimarySource);
        Assert.Equal(PropagationRisk.Low, attribution.PropagationRisk);
    }

    private static IndexAttribution Compute(AttributionInput input) => AttributionCalculator.Compute(input);

    /// <summary>A team whose factors equal the org mean of 0.5 unless given; 10 respondents, 5 baseline teams, a flat series.</summary>
    private static AttributionInput Input(IndexDefinition index, Dictionary<Factor, double> teamOverrides)
    {
        var team = AllFactors(OrgMean);
        foreach (var (factor, mean) in teamOverrides)
        {
            team[factor] = mean;
        }

        return new AttributionInput(
            index,
            team,
            AllFactors(OrgMean),
            BaselineTeamCount: 5,
            Respondents: 10,
            PreviousFactorMeans: null,
            SeriesOf(index, 0.5, 0.5),
            Upstreams: []);
    }

    private static Dictionary<Factor, double> AllFactors(double mean) => Enum.GetValues<Factor>().ToDictionary(factor => factor, _ => mean);

    private static SeriesResult SeriesOf(IndexDefinition index, params double?[] recent) =>
        SeriesCalculator.Compute(index, [.. Enumerable.Repeat<double?>(null, SeriesCalculator.WindowWeeks - recent.Length), .. recent]);

    private static UpstreamSignal Upstream(int id, DependencyKind kind, double weight, double? delta) =>
        new(Id(id), kind, weight, delta, IsPersistentlyWorsening: false);

    private static Guid Id(int id) => new($"00000000-0000-0000-0000-{id:D12}");
}
