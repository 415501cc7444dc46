using System.ComponentModel;
using System.Reflection;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// The app settings of the Bicep, of <c>local.settings.sample.json</c> and of the code agree: every setting the
/// code reads is set, nothing is set that nobody reads (bar the explicit lists of <see cref="AppSettings"/>), and the
/// values are the options' defaults except where Azure or a laptop deliberately differs.
/// </summary>
public sealed class AppSettingsTests
{
    [Fact]
    public async Task Every_setting_the_code_reads_is_set_in_the_bicep()
    {
        var bicep = await BicepSettingsAsync();

        var missing = AppSettings.ReadByCode.Keys.Where(key => !bicep.ContainsKey(key)).Order(StringComparer.Ordinal);

        Assert.True(!missing.Any(), $"Read by the code but not set in infra/modules/functionapp.bicep: {string.Join(", ", missing)}");
    }

    [Fact]
    public async Task Every_setting_the_bicep_sets_is_read_by_the_code_or_the_host_or_listed_as_not_yet_read()
    {
        var bicep = await BicepSettingsAsync();

        var unread = bicep.Keys
            .Where(key => !AppSettings.ReadByCode.ContainsKey(key) && !AppSettings.AzureHostSettings.Contains(key))
            .Order(StringComparer.Ordinal);

        Assert.True(!unread.Any(), $"Set in the Bicep but read by nothing (add an options property, or list it in AppSettings): {string.Join(", ", unread)}");
    }

    [Fact]
    public void Every_setting_the_code_reads_is_in_the_local_sample()
    {
        var local = AppSettings.InLocalSample();

        var missing = AppSettings.ReadByCode.Keys.Where(key => !local.ContainsKey(key)).Order(StringComparer.Ordinal);

        Assert.True(!missing.Any(), $"Read by the code but missing from local.settings.sample.json: {string.Join(", ", missing)}");
    }

    [Fact]
    public async Task The_local_sample_lists_the_same_product_settings_as_the_bicep()
    {
        var bicep = (await BicepSettingsAsync()).Keys.Where(key => !AppSettings.AzureHostSettings.Contains(key)).ToHashSet(StringComparer.Ordinal);
        var local = AppSettings.InLocalSample().Keys.Where(key => !AppSettings.LocalHostSettings.Contains(key)).ToHashSet(StringComparer.Ordinal);

        var onlyInBicep = bicep.Except(local).Order(StringComparer.Ordinal);
        var onlyInSample = local.Except(bicep).Order(StringComparer.Ordinal);
        Assert.True(!onlyInBicep.Any(), $"Set in the Bicep but missing from local.settings.sample.json: {string.Join(", ", onlyInBicep)}");
        Assert.True(!onlyInSample.Any(), $"In local.settings.sample.json but not set in the Bicep: {string.Join(", ", onlyInSample)}");
    }

    [Fact]
    public async Task Bicep_values_are_the_defaults_of_the_options_except_entra_auth()
    {
        AssertDefaults(await BicepSettingsAsync(), "infra/modules/functionapp.bicep", except: ["POSTGRES_USE_ENTRA_AUTH"]);
    }

    [Fact]
    public void Local_sample_values_are_the_defaults_of_the_options_except_source_tables()
    {
        AssertDefaults(AppSettings.InLocalSample(), "local.settings.sample.json", except: ["MIGRATE_SOURCE_TABLES"]);
    }

    [Fact]
    public async Task Azure_connects_with_the_managed_identity_and_reads_secrets_from_key_vault()
    {
        var bicep = await BicepSettingsAsync();

        Assert.Equal("managedidentity", bicep["AzureWebJobsStorage__credential"]);
        Assert.DoesNotContain("AzureWebJobsStorage", bicep.Keys);
        Assert.Equal("true", bicep["POSTGRES_USE_ENTRA_AUTH"]);
        Assert.DoesNotContain("Password", bicep["POSTGRES_CONNECTION_STRING"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", bicep["BLOB_CONNECTION_STRING"]);
        Assert.Equal("", bicep["AZURE_OPENAI_API_KEY"]);
        Assert.Equal("false", bicep["MIGRATE_SOURCE_TABLES"]);
        foreach (var secret in (string[])["INTERNAL_CRON_SECRET", "INTERNAL_ADMIN_SECRET", "ALERT_WEBHOOK_URL"])
        {
            Assert.Contains("@Microsoft.KeyVault(SecretUri=", bicep[secret], StringComparison.Ordinal);
        }
    }

    private static async Task<IReadOnlyDictionary<string, string>> BicepSettingsAsync()
    {
        var build = await BicepCli.MainBuild;
        Assert.True(build.ExitCode == 0, $"bicep build infra/main.bicep failed:\n{build.Diagnostics}");
        return AppSettings.InBicep(build.ArmJson);
    }

    /// <summary>
    /// Each literal value of a setting the code reads equals the default of its options property. Expressions (ARM
    /// <c>[...]</c>), placeholders and settings whose property has no default (connection strings, secrets) are skipped.
    /// </summary>
    private static void AssertDefaults(IReadOnlyDictionary<string, string> values, string source, string[] except)
    {
        var wrong = new List<string>();
        foreach (var (key, property) in AppSettings.ReadByCode)
        {
            if (except.Contains(key) || !values.TryGetValue(key, out var value) || value.StartsWith('[')
                || DefaultOf(property) is not { } defaultValue)
            {
                continue;
            }

            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var parsed = TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            if (!Equals(parsed, defaultValue))
            {
                wrong.Add($"{key}={value} (default {defaultValue})");
            }
        }

        Assert.True(wrong.Count == 0, $"{source} differs from the options' defaults: {string.Join(", ", wrong)}");
    }

    private static object? DefaultOf(PropertyInfo property) =>
        property.DeclaringType is { } type && type.GetConstructor(Type.EmptyTypes) is not null
            ? property.GetValue(Activator.CreateInstance(type))
            : null;
}
