using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Hashing;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Scoring;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Attribution;

/// <summary>
/// One org's stage-2 inputs for one week, computed once per org and then read by the teams in parallel (it is
/// immutable after construction): the stored stage-1 history of the series window, the org baseline of the week,
/// the valid dependency edges, the org week digest and every team's attribution input hash.
/// </summary>
internal sealed class OrgAttributionModel
{
    private readonly Dictionary<Guid, Dictionary<DateOnly, StoredAggregate>> _history;
    private readonly Dictionary<Guid, StoredAggregate> _current;
    private readonly ILookup<Guid, DependencyEdge> _edgesByDownstream;
    private readonly Baseline _baseline;
    private readonly Dictionary<Guid, Dictionary<IndexKind, SeriesResult>> _series;
    private readonly Dictionary<Guid, string> _inputHashes;

    /// <param name="aggregates">
    /// The stage-1 rows of the org's active teams over the series window. Rows of this week are only those the
    /// run may rely on (stage 1 done in this run, or the team outside the run's scope).
    /// </param>
    /// <param name="validEdges">The org's dependency edges that passed <see cref="DependencyGraph.Validate"/>.</param>
    public OrgAttributionModel(IsoWeek week, IEnumerable<StoredAggregate> aggregates, IReadOnlyList<DependencyEdge> validEdges)
    {
        Week = week;
        Window = [.. Enumerable.Range(0, SeriesCalculator.WindowWeeks).Select(WindowStartOf(week).AddWeeks)];
        _history = aggregates
            .GroupBy(row => row.TeamId)
            .ToDictionary(team => team.Key, team => team.ToDictionary(row => row.WeekStart));
        _current = _history
            .Where(team => team.Value.ContainsKey(week.Monday))
            .ToDictionary(team => team.Key, team => team.Value[week.Monday]);
        _edgesByDownstream = validEdges.ToLookup(edge => edge.DownstreamTeamId);
        _baseline = new Baseline([.. _current.Values.Where(row => !row.Suppressed).OrderBy(row => row.TeamId)]);
        _series = _current.Values
            .Where(row => !row.Suppressed)
            .ToDictionary(row => row.TeamId, row => SeriesOf(row.TeamId));

        Digest = OrgWeekDigest.Compute(_current.Values.Select(row => (row.TeamId, row.InputHash)));
        _inputHashes = _series.Keys.ToDictionary(teamId => teamId, InputHashFor);
    }

    public IsoWeek Week { get; }

    /// <summary>The oldest week of the series window that ends at <paramref name="week"/>.</summary>
    public static IsoWeek WindowStartOf(IsoWeek week) => week.AddWeeks(1 - SeriesCalculator.WindowWeeks);

    /// <summary>The <see cref="SeriesCalculator.WindowWeeks"/> weeks ending at <see cref="Week"/>, oldest first.</summary>
    public IReadOnlyList<IsoWeek> Window { get; }

    /// <summary>The org week digest: every stage-1 hash of this week, suppressed teams included.</summary>
    public string Digest { get; }

    /// <summary>The team's stage-1 row of this week, or null when it has none (no data).</summary>
    public StoredAggregate? CurrentOf(Guid teamId) => _current.GetValueOrDefault(teamId);

    /// <summary>The attribution input hash of a team with a non-suppressed row this week.</summary>
    public string InputHashOf(Guid teamId) => _inputHashes[teamId];

    /// <summary>The upstream teams of the team's valid edges.</summary>
    public IEnumerable<Guid> UpstreamsOf(Guid teamId) => _edgesByDownstream[teamId].Select(edge => edge.UpstreamTeamId);

    /// <summary>The document and series rows of a team with a non-suppressed row this week.</summary>
    public TeamAttribution Compute(Guid teamId, Guid orgId, Guid runId)
    {
        var current = _current[teamId];
        var series = _series[teamId];
        var previous = PreviousWithData(teamId);
        var indices = new Dictionary<string, IndexAttributionDocument>();
        var rows = new List<TeamSeriesRow>();
        var flags = new SortedSet<string>(StringComparer.Ordinal);

        foreach (var index in IndexDefinitions.All)
        {
            var indexSeries = series[index.Kind];
            var thisWeek = indexSeries.ThisWeek;
            var z = thisWeek.Value is { } value ? OrgRelativeScore.Compute(value, _baseline.IndexValues[index.Kind]) : null;
            var attribution = AttributionCalculator.Compute(new AttributionInput(
                index,
                current.FactorMeans,
                _baseline.FactorMeans,
                _baseline.TeamCount,
                current.Respondents,
                previous?.FactorMeans,
                indexSeries,
                UpstreamSignals(teamId, index.Kind)));
            flags.UnionWith(attribution.Flags);

            indices[WireName.Of(index.Kind)] = new IndexAttributionDocument
            {
                Value = thisWeek.Value,
                State = thisWeek.Value is { } stateValue ? index.ClassifyState(stateValue) : null,
                Delta = thisWeek.Delta,
                Trend = thisWeek.Trend,
                Z = z,
                Regime = indexSeries.Regime,
                Stability = indexSeries.Stability,
                Internal = attribution.Internal,
                External = attribution.External,
                Masses = attribution.Masses,
                PrimarySource = attribution.PrimarySource,
                PropagationRisk = attribution.PropagationRisk,
            };
            rows.Add(new TeamSeriesRow(
                index.Kind,
                thisWeek.Value,
                z,
                thisWeek.Delta,
                thisWeek.Trend,
                indexSeries.Volatility,
                [.. Window.Zip(indexSeries.Points, (week, point) => new StoredSeriesPoint(week.ToString(), point.Value, point.Delta, point.Trend))],
                indexSeries.Regime,
                indexSeries.Stability,
                indexSeries.CoverageWeeks));
        }

        var document = new AttributionDocument
        {
            SchemaVersion = PipelineVersions.AttributionSchema,
            OrgId = orgId,
            TeamId = teamId,
            WeekStart = Week.ToString(),
            WeekLabel = Week.Label,
            ComputeVersion = PipelineVersions.Compute,
            InputHash = _inputHashes[teamId],
            RunId = runId,
            Flags = [.. flags],
            Factors = current.FactorMeans
                .OrderBy(factor => factor.Key)
                .ToDictionary(
                    factor => WireName.Of(factor.Key),
                    factor => new FactorAttribution(factor.Value, OrgRelativeScore.Compute(factor.Value, _baseline.FactorValues[factor.Key]))),
            Indices = indices,
        };
        return new TeamAttribution(document, rows);
    }

    private Dictionary<IndexKind, SeriesResult> SeriesOf(Guid teamId)
    {
        var rows = _history[teamId];
        return IndexDefinitions.All.ToDictionary(
            index => index.Kind,
            index => SeriesCalculator.Compute(index, [.. Window.Select(week => rows.GetValueOrDefault(week.Monday)?.IndexValue(index.Kind))]));
    }

    /// <summary>The team's latest earlier row with data inside the window (the hash covers no older week).</summary>
    private StoredAggregate? PreviousWithData(Guid teamId) => _history[teamId].Values
        .Where(row => row.WeekStart < Week.Monday && !row.Suppressed)
        .MaxBy(row => row.WeekStart);

    /// <summary>Eligible upstreams: a valid edge and a value of the index this week.</summary>
    private List<UpstreamSignal> UpstreamSignals(Guid teamId, IndexKind index)
    {
        var signals = new List<UpstreamSignal>();
        foreach (var edge in _edgesByDownstream[teamId])
        {
            if (_series.TryGetValue(edge.UpstreamTeamId, out var upstream) && upstream[index] is { ThisWeek.Value: not null } series)
            {
                signals.Add(new UpstreamSignal(edge.UpstreamTeamId, edge.Kind, edge.Weight, series.ThisWeek.Delta, series.IsPersistentlyWorsening));
            }
        }

        return signals;
    }

    private string InputHashFor(Guid teamId)
    {
        var edges = _edgesByDownstream[teamId].ToList();
        var hashedTeams = edges.Select(edge => edge.UpstreamTeamId).Append(teamId).ToHashSet();
        var aggregateHashes = hashedTeams
            .SelectMany(team => _history.GetValueOrDefault(team)?.Values ?? Enumerable.Empty<StoredAggregate>())
            .Select(row => new AggregateHash(row.TeamId, row.WeekStart, row.InputHash))
            .ToList();

        return StageInputHashes.Attribution(new AttributionHashInput(aggregateHashes, Digest, edges, PipelineVersions.Compute));
    }

    /// <summary>
    /// The org's teams with a value this week (not suppressed, stage 1 done), the team itself included: the
    /// values of every factor and index, for z, and the factor means, for internal attribution.
    /// </summary>
    private sealed class Baseline
    {
        public Baseline(List<StoredAggregate> teams)
        {
            TeamCount = teams.Count;
            FactorValues = Enum.GetValues<Factor>().ToDictionary(
                factor => factor,
                factor => (IReadOnlyCollection<double>)[.. teams.Where(row => row.FactorMeans.ContainsKey(factor)).Select(row => row.FactorMeans[factor])]);
            IndexValues = Enum.GetValues<IndexKind>().ToDictionary(
                index => index,
                index => (IReadOnlyCollection<double>)[.. teams.Where(row => row.IndexValues.ContainsKey(index)).Select(row => row.IndexValues[index])]);
            FactorMeans = FactorValues
                .Where(factor => factor.Value.Count > 0)
                .ToDictionary(factor => factor.Key, factor => Descriptive.Mean(factor.Value));
        }

        public int TeamCount { get; }

        public Dictionary<Factor, IReadOnlyCollection<double>> FactorValues { get; }

        public Dictionary<IndexKind, IReadOnlyCollection<double>> IndexValues { get; }

        public Dictionary<Factor, double> FactorMeans { get; }
    }
}
