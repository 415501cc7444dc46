using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.Attribution;

/// <summary>The stage-2 unit of one team-week: its attribution document and its <c>team_series</c> rows.</summary>
internal sealed record TeamAttribution(AttributionDocument Document, IReadOnlyList<TeamSeriesRow> Series);

/// <summary>One <c>team_series</c> row (the index is stored in column <c>index_name</c>).</summary>
internal sealed record TeamSeriesRow(
    IndexKind Index,
    double? Value,
    double? Z,
    double? Delta,
    Trend? Trend,
    double Volatility,
    IReadOnlyList<StoredSeriesPoint> Points,
    Regime Regime,
    Stability Stability,
    int CoverageWeeks);

/// <summary>An entry of <c>team_series.points</c>.</summary>
internal sealed record StoredSeriesPoint(string WeekStart, double? Value, double? Delta, Trend? Trend);
