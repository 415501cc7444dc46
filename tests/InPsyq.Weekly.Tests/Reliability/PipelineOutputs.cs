using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Npgsql;

namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>Reads every stage's stored output of a week: checks that each written unit is whole, and snapshots it.</summary>
internal static class PipelineOutputs
{
    /// <summary>
    /// Units that are not whole or not consistent with each other: a team_series team-week without all four indices or
    /// with mixed hashes, an attribution blob whose metadata or document hash differs from its team_series hash (or a
    /// team-week missing either), a non-suppressed aggregate without four indices, an active interpretation without
    /// stage-2 output.
    /// </summary>
    public static async Task<List<string>> FindBrokenUnitsAsync(NpgsqlDataSource dataSource, BlobContainerClient attribution, DateOnly week)
    {
        var broken = await QueryLinesAsync(dataSource, """
            select 'team_series ' || team_id || ': ' || count(*) || ' indices, ' || count(distinct input_hash) || ' hashes'
            from team_series where week_start = $1 group by team_id
            having count(*) <> 4 or count(distinct input_hash) <> 1
            union all
            select 'weekly_aggregates ' || team_id || ': ' || (select count(*) from jsonb_object_keys(indices)) || ' indices'
            from weekly_aggregates where week_start = $1 and not suppressed and (select count(*) from jsonb_object_keys(indices)) <> 4
            union all
            select 'weekly_interpretations ' || i.team_id || ': active without stage-2 output'
            from weekly_interpretations i
            where i.week_start = $1 and i.is_active
              and not exists (select 1 from team_series s where s.team_id = i.team_id and s.week_start = i.week_start)
            """, week);
        var seriesHashes = (await QueryLinesAsync(dataSource, "select distinct org_id || '/' || team_id || '|' || input_hash from team_series where week_start = $1", week))
            .Select(line => line.Split('|')).ToDictionary(parts => parts[0], parts => parts[1]);
        var blobTeams = new HashSet<string>();
        await foreach (var item in attribution.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, prefix: null, CancellationToken.None))
        {
            if (!item.Name.Contains($"/{week:yyyy-MM-dd}/", StringComparison.Ordinal))
            {
                continue;
            }

            var blob = attribution.GetBlobClient(item.Name);
            var metadataHash = item.Metadata.TryGetValue("input_hash", out var hash) ? hash : null;
            var documentHash = JsonNode.Parse((await blob.DownloadContentAsync()).Value.Content.ToString())!["input_hash"]?.GetValue<string>();
            var key = item.Name.Replace($"/{week:yyyy-MM-dd}/", "/", StringComparison.Ordinal).Replace(".json", string.Empty, StringComparison.Ordinal);
            blobTeams.Add(key);
            if (metadataHash != documentHash || !seriesHashes.TryGetValue(key, out var seriesHash) || seriesHash != metadataHash)
            {
                broken.Add($"blob {item.Name}: metadata {metadataHash}, document {documentHash}, team_series {seriesHashes.GetValueOrDefault(key)}");
            }
        }

        broken.AddRange(seriesHashes.Keys.Where(key => !blobTeams.Contains(key)).Select(key => $"team_series {key}: no attribution blob"));
        return broken;
    }

    /// <summary>Every stored output of the week without run ids and timestamps, so two runs can be compared.</summary>
    public static async Task<string> SnapshotAsync(NpgsqlDataSource dataSource, BlobContainerClient attribution, DateOnly week)
    {
        var snapshot = new StringBuilder();
        foreach (var line in await QueryLinesAsync(dataSource, """
            select concat_ws(' | ', 'aggregate', team_id, respondents, responses, suppressed, factors::text, indices::text, input_hash)
            from weekly_aggregates where week_start = $1
            union all
            select concat_ws(' | ', 'series', team_id, index_name, value, z, delta, trend, volatility, points::text, regime, stability, coverage_weeks, input_hash)
            from team_series where week_start = $1
            union all
            select concat_ws(' | ', 'interpretation', team_id, input_hash, model_id, prompt_version, sections::text)
            from weekly_interpretations where week_start = $1 and is_active
            order by 1
            """, week))
        {
            snapshot.AppendLine(line);
        }

        var blobs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var item in attribution.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, prefix: null, CancellationToken.None))
        {
            var document = JsonNode.Parse((await attribution.GetBlobClient(item.Name).DownloadContentAsync()).Value.Content.ToString())!.AsObject();
            document.Remove("run_id");
            blobs[item.Name] = document.ToJsonString();
        }

        foreach (var (name, document) in blobs)
        {
            snapshot.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"blob | {name} | {document}");
        }

        return snapshot.ToString();
    }

    private static async Task<List<string>> QueryLinesAsync(NpgsqlDataSource dataSource, string sql, DateOnly week)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = week });
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    }
}
