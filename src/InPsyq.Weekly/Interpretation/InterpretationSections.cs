namespace InPsyq.Weekly.Interpretation;

/// <summary>The sections of one interpretation, as published in <c>schemas/interpretation.v1.json</c> (snake_case JSON).</summary>
public sealed record InterpretationSections(
    string ExecutiveSummary,
    IReadOnlyList<string> WhatChanged,
    PrimaryDrivers PrimaryDrivers,
    IReadOnlyList<string> RiskOutlook,
    IReadOnlyList<string> RecommendedFocus,
    string ConfidenceAndLimits);

public sealed record PrimaryDrivers(IReadOnlyList<DriverNote> Internal, IReadOnlyList<DriverNote> External);

public sealed record DriverNote(string Label, string Note);
