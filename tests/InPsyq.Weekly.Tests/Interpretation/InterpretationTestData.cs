using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InPsyq.Weekly.Attribution;
using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Interpretation;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Scoring;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Tests.Interpretation;

/// <summary>Inputs and outputs of stage 3 for tests: inputs with drivers and dependencies, and sections that pass every rule.</summary>
internal static class InterpretationTestData
{
    /// <summary>The lowercase hex sha256 of a text: pins wording to its version in the version tests.</summary>
    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static readonly IsoWeek Week = IsoWeek.FromMonday(new DateOnly(2025, 3, 10));

    public static readonly Guid Upstream = Guid.Parse("00000099-0000-4000-8000-000000000001");

    /// <summary>A team under some pressure: strain high with two drivers, one upstream dependency (policy maximum 5).</summary>
    public static InterpretationInput Input(string upstreamLabel = "Platform") => new()
    {
        WeekLabel = Week.Label,
        TeamRegime = Regime.Emerging,
        Indices =
        [
            new(IndexKind.Strain, 0.62, IndexState.High, 0.05, Trend.Up, Regime.Emerging, Stability.Med, PrimarySource.Mixed, PropagationRisk.Elevated),
            new(IndexKind.Engagement, 0.7, IndexState.Minimal, 0, Trend.Stable, Regime.Noise, Stability.High, PrimarySource.Internal, PropagationRisk.Low),
        ],
        Drivers =
        [
            new("emotional_load", IndexKind.Strain, false, 0.7, DriverBand.Major, Severity.C2, 0.8),
            new("control", IndexKind.Strain, true, 0.4, DriverBand.Moderate, Severity.C1, 0.8),
        ],
        Dependencies = [new(upstreamLabel, IndexKind.Strain, DependencyKind.Process, 0.4, DependencyLevel.D2, Controllability.Medium, false)],
        DataQuality = new DataQuality(8, 10, Stability.Med, 1),
        Flags = [],
    };

    /// <summary>Every index minimal or low, no driver above C0, no dependency: the policy allows one focus item.</summary>
    public static InterpretationInput MonitorOnlyInput() => Input() with
    {
        Indices = [new(IndexKind.Strain, 0.1, IndexState.Minimal, 0, Trend.Stable, Regime.Noise, Stability.High, PrimarySource.Mixed, PropagationRisk.Low)],
        Drivers = [new("emotional_load", IndexKind.Strain, false, 0.1, DriverBand.Minor, Severity.C0, 0.8)],
        Dependencies = [],
    };

    public const string Summary =
        "The team had a demanding week. Strain rose to a high level, driven mostly by emotional load and a sense of limited control over the work. "
        + "Engagement is still strong, which gives the team something to build on. Part of the pressure comes through a process dependency on an upstream team, "
        + "so some relief depends on coordination beyond the team itself.";

    public const string Limits =
        "Confidence is moderate: a small group answered this week and the recent history has a few gaps. "
        + "Treat single-week movements with care and look for patterns that repeat before drawing conclusions.";

    /// <summary>Sections that pass every rule for <see cref="Input"/> (and, without drivers, for any input).</summary>
    public static JsonObject ValidSections(bool withDrivers = true, string upstreamLabel = "Platform") => new()
    {
        ["executive_summary"] = Summary,
        ["what_changed"] = new JsonArray("Strain moved up and now reads as high.", "Engagement held steady at a minimal level of concern.", "An emerging strain pattern appeared over recent weeks."),
        ["primary_drivers"] = new JsonObject
        {
            ["internal"] = withDrivers
                ? new JsonArray(Driver("emotional_load", "Emotional load is the main push on strain this week."), Driver("control", "Low control adds to strain."))
                : new JsonArray(),
            ["external"] = withDrivers ? new JsonArray(Driver(upstreamLabel, "Process handoffs from this team add pressure.")) : new JsonArray(),
        },
        ["risk_outlook"] = new JsonArray("Strain could keep rising if handoffs stay difficult."),
        ["recommended_focus"] = new JsonArray("Review the workload in the next retrospective and agree on one concrete change."),
        ["confidence_and_limits"] = Limits,
    };

    public static string ValidSectionsJson(bool withDrivers = true) => ValidSections(withDrivers).ToJsonString();

    public static string Words(int count) => string.Join(' ', Enumerable.Repeat("word", count));

    /// <summary>An attribution document shaped like stage 2's, for the blob.</summary>
    public static AttributionDocument Document(Guid orgId, Guid teamId, IsoWeek week, string hash, Guid? upstream = null) => new()
    {
        SchemaVersion = PipelineVersions.AttributionSchema,
        OrgId = orgId,
        TeamId = teamId,
        WeekStart = week.ToString(),
        WeekLabel = week.Label,
        ComputeVersion = PipelineVersions.Compute,
        InputHash = hash,
        RunId = Guid.NewGuid(),
        Flags = [],
        Factors = new Dictionary<string, FactorAttribution> { ["emotional_load"] = new(0.7, 1.2) },
        Indices = new Dictionary<string, IndexAttributionDocument>
        {
            ["strain"] = new()
            {
                Value = 0.62,
                State = IndexState.High,
                Delta = 0.05,
                Trend = Trend.Up,
                Z = 1.1,
                Regime = Regime.Emerging,
                Stability = Stability.Med,
                Internal = [new InternalDriver("emotional_load", Factor.EmotionalLoad, false, 0.1, 0.66, DriverBand.Major, 0.8, Severity.C2, [])],
                External = upstream is { } id
                    ? [new ExternalDependency(id, DependencyKind.Process, 0.8, 0.1, 0.4, DependencyLevel.D2, Controllability.Medium, false)]
                    : [],
                Masses = new AttributionMasses(0.66, upstream is null ? 0 : 0.4),
                PrimarySource = PrimarySource.Mixed,
                PropagationRisk = PropagationRisk.Low,
            },
            ["trust_gap"] = new()
            {
                Regime = Regime.Noise,
                Stability = Stability.Low,
                Internal = [],
                External = [],
                Masses = new AttributionMasses(0, 0),
                PrimarySource = PrimarySource.Mixed,
                PropagationRisk = PropagationRisk.Low,
            },
        },
    };

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    public static string Serialize(AttributionDocument document) => JsonSerializer.Serialize(document, WeeklyJson.Options);

    private static JsonObject Driver(string label, string note) => new() { ["label"] = label, ["note"] = note };
}
