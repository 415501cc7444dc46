using Azure;
using Azure.Storage.Blobs.Models;
using InPsyq.Weekly.Attribution;
using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Scoring;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Weekly.Interpretation;

/// <summary>The stored stage-2 output of one team-week that stage 3 reads.</summary>
/// <param name="AttributionHash">The attribution <c>input_hash</c> from the blob's metadata, equal to <c>team_series.input_hash</c>.</param>
/// <param name="SuppressedWeeks">The team's suppressed weeks in the 12-week window ending at the week.</param>
public sealed record StageTwoOutput(
    AttributionDocument Document,
    string AttributionHash,
    IReadOnlyList<SeriesSummary> Series,
    int Respondents,
    int SuppressedWeeks);

/// <summary>The <c>team_series</c> columns of one index that stage 3 uses.</summary>
public sealed record SeriesSummary(IndexKind Index, Regime Regime, Stability Stability, int CoverageWeeks);

/// <summary>Reads <see cref="StageTwoOutput"/>: the attribution blob, the week's <c>team_series</c> and <c>weekly_aggregates</c> rows.</summary>
public sealed class StageTwoOutputReader(BlobStore blobs, NpgsqlDataSource dataSource)
{
    private const int SeriesWeeks = 12;

    /// <summary>
    /// The team's complete stage-2 output, or null when it is missing: no blob, no series rows, no aggregate, or a
    /// blob and series of different hashes (a stage-2 unit counts as done only when both carry the same hash).
    /// </summary>
    public async Task<StageTwoOutput?> ReadAsync(Guid orgId, Guid teamId, IsoWeek week, CancellationToken cancellationToken)
    {
        var (series, seriesHashes) = await ReadSeriesAsync(teamId, week, cancellationToken);
        if (series.Count == 0)
        {
            return null;
        }

        var blob = blobs.Attribution.GetBlobClient(AttributionBlobs.PathOf(orgId, week, teamId));
        BlobDownloadResult download;
        try
        {
            download = (await blob.DownloadContentAsync(cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }

        if (!download.Details.Metadata.TryGetValue(AttributionBlobs.InputHashMetadataKey, out var hash) || seriesHashes.Any(seriesHash => seriesHash != hash))
        {
            return null;
        }

        var quality = await ReadAggregatesAsync(teamId, week, cancellationToken);
        if (quality is not { } counts)
        {
            return null;
        }

        var document = download.Content.ToObjectFromJson<AttributionDocument>(WeeklyJson.Options)!;
        return new StageTwoOutput(document, hash, series, counts.Respondents, counts.SuppressedWeeks);
    }

    private async Task<(List<SeriesSummary> Series, List<string> Hashes)> ReadSeriesAsync(Guid teamId, IsoWeek week, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select index_name, regime, stability, coverage_weeks, input_hash
            from team_series where team_id = $1 and week_start = $2
            """);
        command.Parameters.Add(new() { Value = teamId });
        command.Parameters.Add(new() { Value = week.Monday });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var series = new List<SeriesSummary>();
        var hashes = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            series.Add(new SeriesSummary(
                WireName.Parse<IndexKind>(reader.GetString(0)),
                WireName.Parse<Regime>(reader.GetString(1)),
                WireName.Parse<Stability>(reader.GetString(2)),
                reader.GetInt32(3)));
            hashes.Add(reader.GetString(4));
        }

        return (series, hashes);
    }

    private async Task<(int Respondents, int SuppressedWeeks)?> ReadAggregatesAsync(Guid teamId, IsoWeek week, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select respondents,
                   (select count(*)::int from weekly_aggregates w
                    where w.team_id = $1 and w.suppressed and w.week_start > $3 and w.week_start <= $2)
            from weekly_aggregates where team_id = $1 and week_start = $2
            """);
        command.Parameters.Add(new() { Value = teamId });
        command.Parameters.Add(new() { Value = week.Monday });
        command.Parameters.Add(new() { Value = week.AddWeeks(-SeriesWeeks).Monday });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt32(0), reader.GetInt32(1)) : null;
    }
}
