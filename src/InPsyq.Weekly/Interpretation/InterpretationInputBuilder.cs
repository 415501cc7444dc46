using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.Interpretation;

/// <summary>Turns the stored stage-2 output into the interpreter's input (pure).</summary>
public static class InterpretationInputBuilder
{
    public static InterpretationInput Build(StageTwoOutput output, OrgRef org)
    {
        var document = output.Document;
        var indices = document.Indices
            .Select(entry => (Parsed: WireName.TryParse(entry.Key, out IndexKind kind), Kind: kind, Reading: entry.Value))
            .Where(entry => entry.Parsed)
            .OrderBy(entry => entry.Kind)
            .ToList();
        var labels = TeamLabels(org);

        // The team regime and data quality come from strain's series, as stage 2 hands them over.
        var series = output.Series.OrderBy(row => row.Index).First();
        return new InterpretationInput
        {
            WeekLabel = document.WeekLabel,
            TeamRegime = series.Regime,
            Indices = [.. indices.Select(entry => new IndexReading(
                entry.Kind,
                Round(entry.Reading.Value),
                entry.Reading.State,
                Round(entry.Reading.Delta),
                entry.Reading.Trend,
                entry.Reading.Regime,
                entry.Reading.Stability,
                entry.Reading.PrimarySource,
                entry.Reading.PropagationRisk))],
            Drivers = [.. indices.SelectMany(entry => entry.Reading.Internal.Select(driver => new DriverReading(
                WireName.Of(driver.Factor),
                entry.Kind,
                driver.Inverted,
                Round(driver.Contribution),
                driver.Band,
                driver.Severity,
                Round(driver.Confidence))))],
            Dependencies = [.. indices.SelectMany(entry => entry.Reading.External.Select(dependency => new DependencyReading(
                labels.TryGetValue(dependency.UpstreamTeamId, out var label) ? label : $"team {dependency.UpstreamTeamId:D}",
                entry.Kind,
                dependency.Kind,
                Round(dependency.Impact),
                dependency.Level,
                dependency.Controllability,
                dependency.Persistent)))],
            DataQuality = new DataQuality(output.Respondents, series.CoverageWeeks, series.Stability, output.SuppressedWeeks),
            Flags = document.Flags,
        };
    }

    /// <summary>Team names as labels; a name shared by several teams gets the team id, so every label names one team.</summary>
    private static Dictionary<Guid, string> TeamLabels(OrgRef org)
    {
        var shared = org.Teams.GroupBy(team => team.Name, StringComparer.Ordinal).Where(group => group.Count() > 1).Select(group => group.Key).ToHashSet();
        return org.Teams.ToDictionary(team => team.TeamId, team => shared.Contains(team.Name) ? $"{team.Name} ({team.TeamId:D})" : team.Name);
    }

    /// <summary>The model reads three decimals; more would only add noise to the prompt.</summary>
    private static double? Round(double? value) => value is { } number ? Round(number) : null;

    private static double Round(double value) => Math.Round(value, 3, MidpointRounding.AwayFromZero);
}
