using System.Globalization;
using System.Text.Json;
using InPsyq.Weekly.Runs;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace InPsyq.Weekly.Diagnostics;

/// <summary>What the diagnostics endpoints share: the <c>limit</c> rule, HTML negotiation, and rows read as JSON objects.</summary>
internal static class DiagQuery
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>Reads <c>limit</c> (default 50, 1 to 200); null when valid, else the 400 <c>INVALID_LIMIT</c> to return.</summary>
    public static ApiError? TryReadLimit(IQueryCollection query, out int limit)
    {
        limit = DefaultLimit;
        return query.TryGetValue("limit", out var text)
               && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit)
            ? ApiError.BadRequest("INVALID_LIMIT", $"limit must be an integer from 1 to {MaxLimit}.", "limit")
            : null;
    }

    /// <summary><c>?format=html</c>, or a browser's <c>Accept: text/html</c>.</summary>
    public static bool WantsHtml(HttpRequest request) =>
        string.Equals(request.Query["format"], "html", StringComparison.OrdinalIgnoreCase)
        || request.Headers.Accept.Any(accept => accept?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>Each row as a column → value map: dates as <c>YYYY-MM-DD</c>, jsonb as parsed JSON.</summary>
    public static async Task<List<Dictionary<string, object?>>> ReadRowsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<Dictionary<string, object?>>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
                row[reader.GetName(i)] = value switch
                {
                    DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    string json when reader.GetDataTypeName(i) == "jsonb" => JsonDocument.Parse(json).RootElement.Clone(),
                    _ => value,
                };
            }

            rows.Add(row);
        }

        return rows;
    }
}
