using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.Attribution.Computation;

/// <summary>Attributes a team's index to internal drivers (its own factor terms) and external dependencies.</summary>
public static class AttributionCalculator
{
    public const int MinimumBaselineTeams = 3;
    public const int MaxInternalDrivers = 4;
    public const int MaxExternalDependencies = 3;

    // A term this much worse than the org mean is a full contribution.
    private const double FullContributionGap = 0.15;

    // An upstream worsening this much at full weight is a full impact.
    private const double FullImpactWorsening = 0.2;

    // Respondents at which confidence saturates at 1.
    private const double FullConfidenceRespondents = 10;

    private const double EscalationContribution = 0.6;
    private const double EscalationWorsening = 0.1;
    private const double MinimumConfidenceForC3 = 0.5;
    private const double WorseningTrendThreshold = 0.02;

    public static IndexAttribution Compute(AttributionInput input)
    {
        var hasBaseline = input.BaselineTeamCount >= MinimumBaselineTeams;

        // Without a baseline every contribution is 0, and contributions of 0 are not listed.
        var contributingDrivers = hasBaseline ? ContributingDrivers(input) : [];
        var dependencies = WorsenedUpstreams(input);

        var masses = new AttributionMasses(
            contributingDrivers.Sum(driver => driver.Contribution),
            dependencies.Sum(dependency => dependency.Impact));
        var listedDependencies = dependencies
            .OrderByDescending(dependency => Threshold.Round6(dependency.Impact))
            .ThenBy(dependency => dependency.UpstreamTeamId)
            .Take(MaxExternalDependencies)
            .ToList();
        var primarySource = ClassifyPrimarySource(masses);

        return new IndexAttribution(
            ListedDrivers(contributingDrivers),
            listedDependencies,
            masses,
            primarySource,
            ClassifyPropagationRisk(input, listedDependencies, primarySource),
            hasBaseline ? [] : [AttributionFlags.NoOrgBaseline]);
    }

    /// <summary>Every term with a positive contribution, banded, sorted, with its final severity.</summary>
    private static List<InternalDriver> ContributingDrivers(AttributionInput input)
    {
        var confidence = Math.Min(1, input.Respondents / FullConfidenceRespondents);
        var drivers = new List<InternalDriver>();

        foreach (var term in input.Index.Terms)
        {
            if (!input.TeamFactorMeans.TryGetValue(term.Factor, out var teamMean)
                || !input.OrgFactorMeans.TryGetValue(term.Factor, out var orgMean))
            {
                continue;
            }

            var d = input.Index.Worsening(term.ValueFrom(teamMean) - term.ValueFrom(orgMean));
            var contribution = Math.Clamp(d / FullContributionGap, 0, 1);
            if (!Threshold.IsAbove(contribution, 0))
            {
                continue;
            }

            var (severity, flags) = ClassifySeverity(input, term, contribution, confidence);
            drivers.Add(new InternalDriver(
                term.Name, term.Factor, term.Inverted, d, contribution, ClassifyBand(contribution), confidence, severity, flags));
        }

        return drivers
            .OrderByDescending(driver => Threshold.Round6(driver.Contribution))
            .ThenBy(driver => driver.Term, StringComparer.Ordinal)
            .ToList();
    }

    private static List<InternalDriver> ListedDrivers(List<InternalDriver> contributingDrivers)
    {
        var anyAboveMinor = contributingDrivers.Exists(driver => driver.Band != DriverBand.Minor);
        return contributingDrivers
            .Where(driver => !anyAboveMinor || driver.Band != DriverBand.Minor)
            .Take(MaxInternalDrivers)
            .ToList();
    }

    private static DriverBand ClassifyBand(double contribution) =>
        Threshold.IsAtLeast(contribution, 0.60) ? DriverBand.Major
        : Threshold.IsAtLeast(contribution, 0.35) ? DriverBand.Moderate
        : DriverBand.Minor;

    private static (Severity Severity, IReadOnlyList<string> Flags) ClassifySeverity(
        AttributionInput input,
        IndexTerm term,
        double contribution,
        double confidence)
    {
        var severity = Threshold.IsAtLeast(contribution, 0.8) ? Severity.C3
            : Threshold.IsAtLeast(contribution, 0.4) ? Severity.C2
            : Threshold.IsAtLeast(contribution, 0.2) ? Severity.C1
            : Severity.C0;

        if (severity == Severity.C2
            && Threshold.IsAtLeast(contribution, EscalationContribution)
            && Threshold.IsAbove(TermWorseningSincePreviousWeek(input, term) ?? 0, EscalationWorsening))
        {
            severity = Severity.C3;
        }

        return severity == Severity.C3 && Threshold.IsBelow(confidence, MinimumConfidenceForC3)
            ? (Severity.C2, [AttributionFlags.ConfidenceCapped])
            : (severity, []);
    }

    private static double? TermWorseningSincePreviousWeek(AttributionInput input, IndexTerm term) =>
        input.PreviousFactorMeans is { } previous && previous.TryGetValue(term.Factor, out var previousMean)
            ? input.Index.Worsening(term.ValueFrom(input.TeamFactorMeans[term.Factor]) - term.ValueFrom(previousMean))
            : null;

    private static List<ExternalDependency> WorsenedUpstreams(AttributionInput input)
    {
        var dependencies = new List<ExternalDependency>();
        foreach (var upstream in input.Upstreams)
        {
            var w = upstream.Delta is { } delta ? input.Index.Worsening(delta) : 0;
            if (!Threshold.IsAbove(w, 0))
            {
                continue;
            }

            var impact = Math.Clamp(upstream.Weight * w / FullImpactWorsening, 0, 1);
            dependencies.Add(new ExternalDependency(
                upstream.UpstreamTeamId,
                upstream.Kind,
                upstream.Weight,
                w,
                impact,
                ClassifyLevel(impact, upstream.IsPersistentlyWorsening),
                ControllabilityOf(upstream.Kind),
                upstream.IsPersistentlyWorsening));
        }

        return dependencies;
    }

    private static DependencyLevel ClassifyLevel(double impact, bool isPersistentlyWorsening)
    {
        var level = Threshold.IsAtLeast(impact, 0.6) ? DependencyLevel.D3
            : Threshold.IsAtLeast(impact, 0.3) ? DependencyLevel.D2
            : DependencyLevel.D1;

        return isPersistentlyWorsening && level < DependencyLevel.D3 ? level + 1 : level;
    }

    private static Controllability ControllabilityOf(DependencyKind kind) => kind switch
    {
        DependencyKind.Process => Controllability.Medium,
        DependencyKind.Organizational or DependencyKind.TemporalDeadline => Controllability.Low,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown dependency kind."),
    };

    private static PrimarySource ClassifyPrimarySource(AttributionMasses masses) =>
        Threshold.IsAtLeast(masses.External, 0.60) && Threshold.IsBelow(masses.Internal, 0.35) ? PrimarySource.External
        : Threshold.IsAtLeast(masses.Internal, 0.60) && Threshold.IsBelow(masses.External, 0.35) ? PrimarySource.Internal
        : PrimarySource.Mixed;

    private static PropagationRisk ClassifyPropagationRisk(
        AttributionInput input,
        List<ExternalDependency> listedDependencies,
        PrimarySource primarySource)
    {
        var isWorsening = input.Series.ThisWeek.Delta is { } delta
            && Threshold.IsAbove(input.Index.Worsening(delta), WorseningTrendThreshold);

        if (isWorsening && listedDependencies.Exists(dependency =>
                dependency.Level == DependencyLevel.D3 && dependency.Controllability == Controllability.Low))
        {
            return PropagationRisk.High;
        }

        return listedDependencies.Count(dependency => dependency.Level >= DependencyLevel.D2) >= 2
            || (primarySource == PrimarySource.Mixed && Threshold.IsAtLeast(input.Series.Volatility, 0.15))
            ? PropagationRisk.Elevated
            : PropagationRisk.Low;
    }
}
