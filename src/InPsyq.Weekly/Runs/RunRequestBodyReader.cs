using System.Text.Unicode;
using System.Text.Json;
using InPsyq.Weekly.Primitives;

namespace InPsyq.Weekly.Runs;

/// <summary>
/// Reads the JSON body of <c>POST /api/internal/run-weekly</c> into a <see cref="RunRequestDraft"/>: the body must
/// be one UTF-8 JSON object without duplicate keys; unknown fields and wrong JSON types are refused before any
/// value rule is looked at.
/// </summary>
public static class RunRequestBodyReader
{
    private static readonly string[] s_fields = ["week_start", "week_offset", "org_id", "team_id", "mode", "dry_run", "force"];

    public static RunRequestDraft Read(ReadOnlySpan<byte> body, out Refusal? error)
    {
        error = null;
        if (IsBlank(body))
        {
            return new RunRequestDraft();
        }

        if (!IsValidUtf8(body))
        {
            error = Refusal.Invalid("INVALID_BODY", "The body is not valid UTF-8.", null);
            return new RunRequestDraft();
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            error = Refusal.Invalid("INVALID_BODY", "The body is not valid JSON.", null);
            return new RunRequestDraft();
        }

        using (document)
        {
            try
            {
                return ReadObject(document.RootElement, out error);
            }
            catch (InvalidOperationException)
            {
                // "\ud800" is valid JSON but no text: reading a key or value with a lone UTF-16 surrogate escape throws.
                error = Refusal.Invalid("INVALID_BODY", "The body contains a \\u escape of a lone UTF-16 surrogate, which is not text.", null);
                return new RunRequestDraft();
            }
        }
    }

    private static RunRequestDraft ReadObject(JsonElement root, out Refusal? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = Refusal.Invalid("INVALID_BODY", "The body must be a JSON object such as {\"mode\": \"FULL\"}.", null);
            return new RunRequestDraft();
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!fields.TryAdd(property.Name, property.Value))
            {
                error = Refusal.Invalid("INVALID_BODY", $"The field '{property.Name}' appears more than once.", property.Name);
                return new RunRequestDraft();
            }
        }

        var unknown = fields.Keys.FirstOrDefault(name => Array.IndexOf(s_fields, name) < 0);
        if (unknown is not null)
        {
            error = Refusal.Invalid("UNKNOWN_FIELD", $"Unknown field '{Truncate(unknown)}'. Known fields: {string.Join(", ", s_fields)}.", Truncate(unknown));
            return new RunRequestDraft();
        }

        var draft = new RunRequestDraft
        {
            WeekStart = String(fields, "week_start", ref error),
            WeekOffset = Integer(fields, "week_offset", ref error),
            OrgId = String(fields, "org_id", ref error),
            TeamId = String(fields, "team_id", ref error),
            Mode = String(fields, "mode", ref error),
            DryRun = Boolean(fields, "dry_run", ref error),
            Force = Boolean(fields, "force", ref error),
        };
        return draft;
    }

    private static string? String(Dictionary<string, JsonElement> fields, string name, ref Refusal? error)
    {
        if (!fields.TryGetValue(name, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        error ??= TypeError(name, "a string");
        return null;
    }

    private static long? Integer(Dictionary<string, JsonElement> fields, string name, ref Refusal? error)
    {
        if (!fields.TryGetValue(name, out var value))
        {
            return null;
        }

        // An integer literal only: -1.0 and 1e0 are numbers but not integers.
        var raw = value.ValueKind == JsonValueKind.Number ? value.GetRawText() : null;
        if (raw is null || raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0)
        {
            error ??= TypeError(name, "an integer");
            return null;
        }

        // Integers too large for 64 bits are certainly out of range; clamp so the range rule reports them.
        return value.TryGetInt64(out var number) ? number : raw.StartsWith('-') ? long.MinValue : long.MaxValue;
    }

    private static bool? Boolean(Dictionary<string, JsonElement> fields, string name, ref Refusal? error)
    {
        if (!fields.TryGetValue(name, out var value))
        {
            return null;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        error ??= TypeError(name, "a JSON boolean (true or false, without quotes)");
        return null;
    }

    private static Refusal TypeError(string name, string expected) =>
        Refusal.Invalid("INVALID_TYPE", $"{name} must be {expected}.", name);

    private static bool IsBlank(ReadOnlySpan<byte> body) => body.Trim(" \t\r\n"u8).IsEmpty;

    private static bool IsValidUtf8(ReadOnlySpan<byte> body) => Utf8.IsValid(body);

    private static string Truncate(string name) => name.Length <= 64 ? name : name[..64] + "…";
}
