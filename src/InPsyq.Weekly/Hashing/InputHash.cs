using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace InPsyq.Weekly.Hashing;

/// <summary>
/// Builds an <c>input_hash</c>: lowercase hex SHA-256 over UTF-8 <c>key=value</c> lines, each ending in <c>\n</c>,
/// with every value formatted culture-invariantly (doubles round-trip, so a hash changes exactly when an input does).
/// Lines are hashed in the order they are added; callers sort where docs/domain.md says sorted.
/// </summary>
public sealed class InputHash
{
    private readonly StringBuilder _lines = new();

    public InputHash Add(string key, string value)
    {
        if (key.Contains('=', StringComparison.Ordinal) || key.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("A hash key cannot contain '=' or a line break.", nameof(key));
        }

        if (value.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("A hashed value cannot contain a line break.", nameof(value));
        }

        _lines.Append(key).Append('=').Append(value).Append('\n');
        return this;
    }

    public InputHash Add(string key, double value) => Add(key, Format(value));

    public InputHash Add(string key, Guid value) => Add(key, Format(value));

    public InputHash Add(string key, DateOnly value) => Add(key, Format(value));

    public string Compute() => Sha256Hex(_lines.ToString());

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal static string Format(Guid value) => value.ToString("D");

    internal static string Format(DateOnly value) => value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
