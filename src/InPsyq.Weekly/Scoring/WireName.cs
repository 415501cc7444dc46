using System.Reflection;
using System.Text.Json.Serialization;

namespace InPsyq.Weekly.Scoring;

/// <summary>
/// Maps the pipeline's enums to and from the names used in the database, JSON documents and hashes.
/// The names come from each member's <see cref="JsonStringEnumMemberNameAttribute"/>, so System.Text.Json
/// serializes them identically and there is a single source of truth.
/// </summary>
public static class WireName
{
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum
        => WireNameTable<TEnum>.NamesByValue.TryGetValue(value, out var name)
            ? name
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"Not a defined {typeof(TEnum).Name}.");

    public static bool TryParse<TEnum>(string? text, out TEnum value)
        where TEnum : struct, Enum
    {
        if (text is not null && WireNameTable<TEnum>.ValuesByName.TryGetValue(text, out value))
        {
            return true;
        }

        value = default;
        return false;
    }

    public static TEnum Parse<TEnum>(string text)
        where TEnum : struct, Enum
        => TryParse(text, out TEnum value)
            ? value
            : throw new FormatException($"'{text}' is not a {typeof(TEnum).Name} wire name.");

    private static class WireNameTable<TEnum>
        where TEnum : struct, Enum
    {
        public static readonly Dictionary<TEnum, string> NamesByValue = typeof(TEnum)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToDictionary(
                field => (TEnum)field.GetValue(null)!,
                field => field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
                    ?? throw new InvalidOperationException($"{typeof(TEnum).Name}.{field.Name} has no wire name."));

        public static readonly Dictionary<string, TEnum> ValuesByName = NamesByValue
            .ToDictionary(pair => pair.Value, pair => pair.Key, StringComparer.Ordinal);
    }
}
