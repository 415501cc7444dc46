using System.Text.Json;
using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.Interpretation;

/// <summary>
/// Deterministic templates that pass <see cref="InterpretationValidator"/> for every input: the prose uses no digits,
/// never names a team (a team's name could contain a number or a forbidden phrase), and every sentence has a
/// bounded length, so the word limits hold whatever the input.
/// </summary>
public sealed class OfflineInterpreter : IInterpreter
{
    /// <summary>
    /// The version of these templates. It is part of the interpretation input hash, so changing any wording requires a
    /// new id: only then are the stored offline interpretations written again (a test pins the wording to the id).
    /// </summary>
    public const string ModelId = "offline-v2";

    private const int SolidGroup = 10;

    public string ConfiguredModelId => ModelId;

    public Task<InterpretationResult> InterpretAsync(InterpretationInput input, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var sections = Interpret(input);
        var json = JsonSerializer.SerializeToNode(sections, WeeklyJson.Options)!.AsObject();
        return Task.FromResult(new InterpretationResult(json, ModelId, TokenUsage.None));
    }

    public static InterpretationSections Interpret(InterpretationInput input)
    {
        var drivers = TopDrivers(input);
        var dependencies = TopDependencies(input);
        return new InterpretationSections(
            Summary(input, drivers),
            WhatChanged(input),
            new PrimaryDrivers(
                [.. drivers.Select(driver => new DriverNote(driver.Label, DriverNote(driver)))],
                [.. dependencies.Select(dependency => new DriverNote(dependency.Label, DependencyNote(dependency)))]),
            RiskOutlook(input),
            RecommendedFocus(input, drivers, dependencies),
            ConfidenceAndLimits(input));
    }

    private static string Summary(InterpretationInput input, List<DriverReading> drivers)
    {
        var pattern = input.TeamRegime switch
        {
            Regime.Persistent => "a persistent shift",
            Regime.Emerging => "an emerging shift",
            _ => "ordinary fluctuation",
        };
        var computed = input.Indices.Where(index => index.State is not null).ToList();
        var focus = computed.OrderByDescending(index => index.State).ThenBy(index => index.Index).FirstOrDefault();
        var opening = focus switch
        {
            null => $"This week no index could be computed, so the picture rests on limited information; the overall pattern looks like {pattern}.",
            { State: > IndexState.Low } => $"This week the clearest signal is {Words(focus.Index)}, which reads as {WireName.Of(focus.State!.Value)}, and the team's overall pattern looks like {pattern}.",
            _ => $"This week every computed index sits at a minimal or low level, and the team's overall pattern looks like {pattern}.",
        };
        var inside = drivers.Count > 0
            ? $"Inside the team, {FactorWords(drivers[0])} stands out most against the rest of the organisation."
            : "Inside the team, no single factor stands out against the rest of the organisation.";
        var outside = input.Dependencies.Count > 0
            ? "Some pressure also arrives through dependencies on other teams, which the team can only partly control."
            : "No upstream team adds noticeable pressure this week.";
        var basis = $"The reading rests on {RespondentWords(input.DataQuality)} and {HistoryWords(input.DataQuality.Stability)}.";
        return $"{opening} {inside} {outside} {basis} Use it as a starting point for a team conversation, not as a judgement of individuals.";
    }

    private static List<string> WhatChanged(InterpretationInput input)
    {
        var items = input.Indices.Select(index => index.State is null
            ? $"{Capitalized(Words(index.Index))} could not be computed from this week's answers."
            : $"{Capitalized(Words(index.Index))} is {WireName.Of(index.State.Value)} and {TrendWords(index.Trend)}.").ToList();
        items.Add(input.TeamRegime switch
        {
            Regime.Persistent => "The team's strain pattern has been persistent over recent weeks.",
            Regime.Emerging => "An emerging strain pattern has appeared over the last few weeks.",
            _ => "Across weeks the team's strain pattern looks like normal fluctuation rather than a trend.",
        });
        items.Add(input.DataQuality.Stability switch
        {
            Stability.Low => "Recent data is patchy or volatile, so the series is less stable.",
            Stability.Med => "Recent data is reasonably complete, so the series is moderately stable.",
            _ => "Recent data is complete and steady, so the series is stable.",
        });
        if (items.Count < 3)
        {
            items.Insert(0, "No index could be computed for this week.");
        }

        return [.. items.Take(6)];
    }

    private static List<string> RiskOutlook(InterpretationInput input)
    {
        var risks = new List<(int Priority, IndexKind Index, string Text)>();
        foreach (var index in input.Indices)
        {
            var name = Capitalized(Words(index.Index));
            if (index.PropagationRisk == PropagationRisk.High)
            {
                risks.Add((0, index.Index, $"{name} may spread further: a strong, hard-to-control dependency is worsening alongside it."));
            }
            else if (index.PropagationRisk == PropagationRisk.Elevated)
            {
                risks.Add((1, index.Index, $"{name} could be amplified by several upstream dependencies or a volatile mix of causes."));
            }

            if (index.Regime == Regime.Persistent && index.State > IndexState.Low)
            {
                risks.Add((2, index.Index, $"{name} has been persistent and is unlikely to ease without deliberate attention."));
            }
            else if (index.Regime == Regime.Emerging)
            {
                risks.Add((3, index.Index, $"{name} shows an emerging shift that is worth watching over the coming weeks."));
            }
        }

        return [.. risks.OrderBy(risk => risk.Priority).ThenBy(risk => risk.Index).Take(3).Select(risk => risk.Text)];
    }

    private static List<string> RecommendedFocus(
        InterpretationInput input, List<DriverReading> drivers, List<DependencyReading> dependencies)
    {
        var max = input.MaxRecommendedFocus;
        if (max == 1)
        {
            return ["Keep the current team rhythm and look at the picture again next week; no specific action is indicated."];
        }

        var focus = drivers
            .Select(driver => $"Talk about {FactorWords(driver)} in the next team retrospective and agree on one small, concrete adjustment.")
            .Concat(dependencies.Select(dependency =>
                $"Agree with the upstream team how {KindWords(dependency.Kind)} handoffs could reduce pressure on {Words(dependency.Index)}."))
            .Append("Check in on workload and priorities in regular individual conversations with team members.")
            .Take(max);
        return [.. focus];
    }

    private static string ConfidenceAndLimits(InterpretationInput input)
    {
        var quality = input.DataQuality;
        var level = (quality.Respondents >= SolidGroup, quality.Stability) switch
        {
            (true, Stability.High) => "good",
            (_, Stability.Low) => "limited",
            _ => "moderate",
        };
        var history = quality.CoverageWeeks switch
        {
            >= 10 => "a nearly complete twelve-week history",
            >= 6 => "a partial twelve-week history",
            _ => "only a short recent history",
        };
        var text = $"Confidence is {level}: this reading draws on {RespondentWords(quality)} this week, {history}, and {HistoryWords(quality.Stability)}.";
        if (quality.SuppressedWeeks > 0)
        {
            text += " Some recent weeks were withheld because too few people answered.";
        }

        if (input.Flags.Contains(AttributionFlags.NoOrgBaseline))
        {
            text += " Too few teams in the organisation answered to compare against a baseline.";
        }

        return text + " Weekly movement in small groups is noisy.";
    }

    /// <summary>The strongest reading of each label, most severe first; at most three.</summary>
    private static List<DriverReading> TopDrivers(InterpretationInput input) =>
        [.. input.Drivers
            .OrderByDescending(driver => driver.Severity).ThenByDescending(driver => driver.Contribution).ThenBy(driver => driver.Label, StringComparer.Ordinal)
            .DistinctBy(driver => driver.Label)
            .Take(3)];

    private static List<DependencyReading> TopDependencies(InterpretationInput input) =>
        [.. input.Dependencies
            .OrderByDescending(dependency => dependency.Level).ThenByDescending(dependency => dependency.Impact).ThenBy(dependency => dependency.Label, StringComparer.Ordinal)
            .DistinctBy(dependency => dependency.Label)
            .Take(3)];

    private static string DriverNote(DriverReading driver)
    {
        var pressure = driver.Severity switch
        {
            Severity.C3 => "Strong pressure",
            Severity.C2 => "Clear pressure",
            Severity.C1 => "Some pressure",
            _ => "Slight pressure",
        };
        var confidence = driver.Confidence switch
        {
            >= 0.8 => "high",
            >= 0.5 => "moderate",
            _ => "limited",
        };
        return $"{pressure} on {Words(driver.Index)} from {FactorWords(driver)}; a {WireName.Of(driver.Band).ToLowerInvariant()} contribution compared with the organisation, with {confidence} confidence.";
    }

    private static string DependencyNote(DependencyReading dependency)
    {
        var pressure = dependency.Level switch
        {
            DependencyLevel.D3 => "Strong",
            DependencyLevel.D2 => "Noticeable",
            _ => "Mild",
        };
        var persistent = dependency.Persistent ? ", worsening upstream for several weeks" : string.Empty;
        return $"{pressure} pressure on {Words(dependency.Index)} through its {KindWords(dependency.Kind)} dependency with {WireName.Of(dependency.Controllability)} controllability{persistent}.";
    }

    private static string RespondentWords(DataQuality quality) =>
        quality.Respondents >= SolidGroup ? "a solid group of respondents" : "a small group of respondents";

    private static string HistoryWords(Stability stability) => stability switch
    {
        Stability.Low => "a series of limited stability",
        Stability.Med => "a moderately stable series",
        _ => "a stable series",
    };

    private static string TrendWords(Trend? trend) => trend switch
    {
        Trend.Up => "moved up since the previous reading",
        Trend.Down => "moved down since the previous reading",
        Trend.Stable => "held steady since the previous reading",
        _ => "has no earlier reading to compare with",
    };

    private static string KindWords(DependencyKind kind) => kind switch
    {
        DependencyKind.Organizational => "organisational",
        DependencyKind.Process => "process",
        _ => "deadline",
    };

    private static string FactorWords(DriverReading driver) =>
        (driver.Inverted ? "low " : string.Empty) + driver.Label.Replace('_', ' ');

    private static string Words(IndexKind index) => WireName.Of(index).Replace('_', ' ');

    private static string Capitalized(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
