using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace InPsyq.Weekly.Diagnostics;

/// <summary>
/// The opaque paging cursor of the run history: base64url of the last row's <c>(started_at, run_id)</c>, the
/// history's sort key, so a page continues strictly after it without duplicates or gaps while rows are added.
/// </summary>
internal readonly record struct RunCursor(DateTime StartedAtUtc, Guid RunId)
{
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{StartedAtUtc.Ticks}:{RunId:N}")));

    public static bool TryDecode(string text, out RunCursor cursor)
    {
        cursor = default;
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return false;
        }

        var parts = Encoding.UTF8.GetString(bytes).Split(':');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTime.MaxValue.Ticks
            || !Guid.TryParseExact(parts[1], "N", out var runId))
        {
            return false;
        }

        cursor = new RunCursor(new DateTime(ticks, DateTimeKind.Utc), runId);
        return true;
    }
}
