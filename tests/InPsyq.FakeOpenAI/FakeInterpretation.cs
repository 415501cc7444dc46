using System.Text.Json.Nodes;

namespace InPsyq.FakeOpenAI;

/// <summary>Interpretation sections that pass validation for any team: no driver named, no number, one focus.</summary>
public static class FakeInterpretation
{
    private const string Summary =
        "The team had a steady week with a few signals worth watching. Most indices stayed within their usual range and "
        + "nothing points to a sudden change. The picture is stable enough to keep the current rhythm while checking in "
        + "regularly on workload and collaboration.";

    private const string Limits =
        "Confidence is moderate: the group that answered is small and the history is short. Treat single-week movements "
        + "with care and look for patterns that repeat before drawing conclusions.";

    public static string Json { get; } = new JsonObject
    {
        ["executive_summary"] = Summary,
        ["what_changed"] = new JsonArray("Most indices held steady this week.", "No sudden shift stands out.", "The pattern matches recent weeks."),
        ["primary_drivers"] = new JsonObject { ["internal"] = new JsonArray(), ["external"] = new JsonArray() },
        ["risk_outlook"] = new JsonArray("Workload could build up if the current pace continues."),
        ["recommended_focus"] = new JsonArray("Keep the regular check-in on workload and collaboration."),
        ["confidence_and_limits"] = Limits,
    }.ToJsonString();
}
