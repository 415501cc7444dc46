using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Configuration;

/// <summary>
/// Marks an options property whose setting holds a secret (a shared secret, a key, a connection string or a URL with a
/// token in it), so that <see cref="PlatformReference"/> checks it. The property also has a <see cref="ConfigurationKeyNameAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SecretSettingAttribute : Attribute;

/// <summary>
/// App Service and Functions resolve a setting whose value is <c>@Microsoft.KeyVault(...)</c> or
/// <c>@Microsoft.AppConfiguration(...)</c> to the referenced secret before the app starts; when they cannot (the
/// identity lacks access, the secret is missing, the vault is unreachable) the app sees the reference text itself.
/// Such a value is treated as missing: it fails start-up validation, makes the <c>auth</c> health check unhealthy,
/// and never authenticates.
/// </summary>
public static class PlatformReference
{
    private static readonly string[] s_prefixes = ["@Microsoft.KeyVault(", "@Microsoft.AppConfiguration("];
    private static readonly ConcurrentDictionary<Type, (string Setting, PropertyInfo Property)[]> s_secretSettings = new();

    /// <summary>Whether <paramref name="value"/> is a platform reference that was not resolved.</summary>
    public static bool IsUnresolved(string? value) =>
        value is not null && s_prefixes.Any(prefix => value.AsSpan().TrimStart().StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

    /// <summary>The <see cref="SecretSettingAttribute"/> settings of <paramref name="options"/> whose value is an unresolved reference.</summary>
    public static IEnumerable<string> UnresolvedSettingsOf(object options) =>
        SecretSettingsOf(options.GetType())
            .Where(secret => IsUnresolved(Convert.ToString(secret.Property.GetValue(options), System.Globalization.CultureInfo.InvariantCulture)))
            .Select(secret => secret.Setting);

    /// <summary>The start-up and health message for an unresolved setting: its name and what to check, never its value.</summary>
    public static string Describe(string setting) =>
        $"{setting} is an unresolved Key Vault or App Configuration reference, so it counts as missing: check that the secret exists and that the app's identity may read it.";

    private static (string Setting, PropertyInfo Property)[] SecretSettingsOf(Type type) => s_secretSettings.GetOrAdd(type, static type =>
    [
        .. type.GetProperties(BindingFlags.Instance | BindingFlags.Public)
            .Where(property => property.IsDefined(typeof(SecretSettingAttribute)))
            .Select(property => (
                property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name
                    ?? throw new InvalidOperationException($"{type.Name}.{property.Name} is a secret setting without a [ConfigurationKeyName]."),
                property)),
    ]);
}
