using System.Text.Json;
using InPsyq.Weekly.Primitives;

namespace InPsyq.Weekly.Interpretation;

/// <summary>The messages of the Azure OpenAI path. Changing any text here requires a new <see cref="Pipeline.PipelineVersions.Prompt"/> (a test pins the text to it).</summary>
internal static class InterpretationPrompt
{
    public const string System = """
        You write the weekly team-health interpretation of InPsyq for a team lead. You receive one team's week as JSON:
        four indices (strain, withdrawal_risk, trust_gap: higher is worse; engagement: higher is better) with a
        qualitative state where "minimal" is always the good end, the series regime (NOISE, EMERGING, PERSISTENT),
        internal drivers (factors compared with the rest of the organisation, severity C0 to C3), external
        dependencies on upstream teams (level D1 to D3) and the data quality.
        Answer with JSON that follows the response schema exactly, in plain English, calm and practical:
        - executive_summary: 40 to 90 words.
        - what_changed: 3 to 6 items, each at most 18 words.
        - primary_drivers.internal and primary_drivers.external: at most 3 each, labels only from internal_labels and
          external_labels of the input (leave a list empty when its labels are empty); each note at most 25 words.
        - risk_outlook: at most 3 items, each at most 25 words.
        - recommended_focus: at least 1 and at most max_recommended_focus items, each at most 25 words.
        - confidence_and_limits: 25 to 60 words, naming the limits of the data.
        - Use at most 6 numbers in all text together; prefer words to figures.
        - Describe the team, never individuals. Do not diagnose. Never use the words burnout, toxic, crisis,
          mental health disorder, psychological disorder, mentally ill or suicidal.
        A word is any whitespace-separated token.
        """;

    public static string User(InterpretationInput input) =>
        "The team's week:\n" + JsonSerializer.Serialize(input, WeeklyJson.Options);

    public static string Repair(IReadOnlyList<InterpretationViolation> violations) =>
        "Your answer broke these rules:\n"
        + string.Join('\n', violations.Select(violation => "- " + violation))
        + "\nAnswer again with the complete corrected JSON, following every rule.";
}
