using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Attribution;

/// <summary>The attribution documents in Blob container <c>attribution</c>, at <c>{org_id}/{week_start}/{team_id}.json</c>.</summary>
internal sealed class AttributionBlobs(BlobContainerClient container)
{
    public const string InputHashMetadataKey = "input_hash";

    public static string PathOf(Guid orgId, IsoWeek week, Guid teamId) => $"{orgId:D}/{week}/{teamId:D}.json";

    /// <summary>Parses a name written by <see cref="PathOf"/>; any other name is not an attribution document.</summary>
    public static bool TryParsePath(string name, out Guid teamId, out DateOnly week)
    {
        teamId = default;
        week = default;
        var parts = name.Split('/');
        return parts.Length == 3
            && Guid.TryParse(parts[0], out _)
            && DateOnly.TryParseExact(parts[1], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out week)
            && parts[2].EndsWith(".json", StringComparison.Ordinal)
            && Guid.TryParse(parts[2][..^".json".Length], out teamId);
    }

    /// <summary>The <c>input_hash</c> in the blob's metadata, or null when there is no blob.</summary>
    public async Task<string?> FindInputHashAsync(Guid orgId, IsoWeek week, Guid teamId, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await Blob(orgId, week, teamId).GetPropertiesAsync(cancellationToken: cancellationToken);
            return properties.Value.Metadata.TryGetValue(InputHashMetadataKey, out var hash) ? hash : null;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes the document with one Put Blob request, which replaces the blob atomically: readers see the old
    /// document or the new one, never a part.
    /// </summary>
    public async Task WriteAsync(IsoWeek week, AttributionDocument document, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(document, WeeklyJson.Options), writable: false);
        await Blob(document.OrgId, week, document.TeamId)
            .UploadAsync(
                content,
                new BlobUploadOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                    Metadata = new Dictionary<string, string> { [InputHashMetadataKey] = document.InputHash },
                },
                cancellationToken);
    }

    public Task DeleteAsync(Guid orgId, IsoWeek week, Guid teamId, CancellationToken cancellationToken) =>
        Blob(orgId, week, teamId).DeleteIfExistsAsync(cancellationToken: cancellationToken);

    private BlockBlobClient Blob(Guid orgId, IsoWeek week, Guid teamId) => container.GetBlockBlobClient(PathOf(orgId, week, teamId));
}
