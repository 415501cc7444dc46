using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using InPsyq.Weekly.Primitives;

namespace InPsyq.Weekly.Interpretation;

/// <summary>One broken rule. <see cref="Path"/> and <see cref="Rule"/> are safe to log; <see cref="Detail"/> goes to the repair prompt.</summary>
public sealed record InterpretationViolation(string Path, string Rule, string Detail)
{
    public const string Schema = "schema";
    public const string Label = "label";
    public const string WordCount = "word_count";
    public const string ItemCount = "item_count";
    public const string NumberCount = "number_count";
    public const string ForbiddenPhrase = "forbidden_phrase";

    public override string ToString() => $"{Path}: {Detail}";
}

/// <summary>
/// Validates interpretation sections before anything is stored, whichever interpreter wrote them: the request's
/// schema (<see cref="InterpretationSchema.ForInput"/>), then the length, count, number and wording rules of docs/domain.md.
/// </summary>
public static partial class InterpretationValidator
{
    public const int MaxNumbers = 6;

    /// <summary>Also matched inside longer words, and across any run of whitespace.</summary>
    public static IReadOnlyList<string> ForbiddenPhrases { get; } =
        ["burnout", "toxic", "crisis", "mental health disorder", "psychological disorder", "mentally ill", "suicidal"];

    public static IReadOnlyList<InterpretationViolation> Validate(JsonNode? sections, InterpretationInput input)
    {
        var violations = new List<InterpretationViolation>();
        InterpretationSchema.Check(InterpretationSchema.ForInput(input), sections, "$", violations);
        if (violations.Count > 0)
        {
            return violations;
        }

        var parsed = sections.Deserialize<InterpretationSections>(WeeklyJson.Options)!;
        Words(violations, "$.executive_summary", parsed.ExecutiveSummary, 40, 90);
        Items(violations, "$.what_changed", parsed.WhatChanged, 3, 6, maxWords: 18);
        Notes(violations, "$.primary_drivers.internal", parsed.PrimaryDrivers.Internal);
        Notes(violations, "$.primary_drivers.external", parsed.PrimaryDrivers.External);
        Items(violations, "$.risk_outlook", parsed.RiskOutlook, 0, 3, maxWords: 25);
        Items(violations, "$.recommended_focus", parsed.RecommendedFocus, 1, input.MaxRecommendedFocus, maxWords: 25);
        Words(violations, "$.confidence_and_limits", parsed.ConfidenceAndLimits, 25, 60);

        // Labels are identifiers picked from the input's enum, not prose: a team called "Team 7" is not a number.
        var prose = string.Join(' ', Prose(parsed));
        var numbers = NumberPattern().Count(prose);
        if (numbers > MaxNumbers)
        {
            violations.Add(new("$", InterpretationViolation.NumberCount, $"uses {numbers} numbers across all text; at most {MaxNumbers} are allowed"));
        }

        var normalized = WhitespacePattern().Replace(prose, " ");
        foreach (var phrase in ForbiddenPhrases.Where(phrase => normalized.Contains(phrase, StringComparison.OrdinalIgnoreCase)))
        {
            violations.Add(new("$", InterpretationViolation.ForbiddenPhrase, $"must not use the phrase '{phrase}'"));
        }

        return violations;
    }

    /// <summary>A word is a whitespace-separated token.</summary>
    public static int CountWords(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    private static IEnumerable<string> Prose(InterpretationSections sections) =>
        [
            sections.ExecutiveSummary,
            .. sections.WhatChanged,
            .. sections.PrimaryDrivers.Internal.Select(driver => driver.Note),
            .. sections.PrimaryDrivers.External.Select(driver => driver.Note),
            .. sections.RiskOutlook,
            .. sections.RecommendedFocus,
            sections.ConfidenceAndLimits,
        ];

    private static void Notes(List<InterpretationViolation> violations, string path, IReadOnlyList<DriverNote> drivers)
    {
        Count(violations, path, drivers.Count, 0, 3);
        for (var i = 0; i < drivers.Count; i++)
        {
            Words(violations, $"{path}[{i}].note", drivers[i].Note, 1, 25);
        }
    }

    private static void Items(List<InterpretationViolation> violations, string path, IReadOnlyList<string> items, int min, int max, int maxWords)
    {
        Count(violations, path, items.Count, min, max);
        for (var i = 0; i < items.Count; i++)
        {
            Words(violations, $"{path}[{i}]", items[i], 1, maxWords);
        }
    }

    private static void Count(List<InterpretationViolation> violations, string path, int count, int min, int max)
    {
        if (count < min || count > max)
        {
            violations.Add(new(path, InterpretationViolation.ItemCount, $"has {count} items; {Range(min, max)} are required"));
        }
    }

    private static void Words(List<InterpretationViolation> violations, string path, string text, int min, int max)
    {
        var words = CountWords(text);
        if (words < min || words > max)
        {
            violations.Add(new(path, InterpretationViolation.WordCount, $"has {words} words; {Range(min, max)} are required"));
        }
    }

    private static string Range(int min, int max) => min == max ? $"exactly {min}" : $"{min} to {max}";

    [GeneratedRegex(@"\d+(?:[.,]\d+)?%?")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespacePattern();
}
