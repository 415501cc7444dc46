using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace InPsyq.Weekly.Storage;

/// <summary>Rows read as they are stored, for views that show them column by column (the diagnostics listings).</summary>
internal static class ColumnMaps
{
    /// <summary>Each row as a column → value map: dates as <c>YYYY-MM-DD</c>, jsonb as parsed JSON.</summary>
    public static async Task<List<Dictionary<string, object?>>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
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
