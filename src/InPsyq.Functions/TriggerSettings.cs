using System.Reflection;
using System.Text.RegularExpressions;
using InPsyq.Weekly.Jobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InPsyq.Functions;

/// <summary>One <c>%NAME%</c> a function's binding refers to, with the setting's value (null when it is not set).</summary>
public sealed record TriggerSetting(string Function, string Name, string? Value, bool IsSchedule);

/// <summary>
/// The app settings the functions' triggers bind to (<c>%NAME%</c>), with their values as the Functions host resolves
/// them: from the app settings alone, so the library's defaults do not count. The host disables a function whose
/// setting does not resolve ("does not resolve to a value"), which leaves a timer that never fires while the HTTP
/// functions keep working. So the app validates them at start-up like every options class and refuses to start,
/// naming each setting that is missing or, for a timer, not a 6-field NCRONTAB schedule.
/// </summary>
public sealed partial class TriggerSettings
{
    public IReadOnlyList<TriggerSetting> Settings { get; set; } = [];

    /// <summary>Every <c>%NAME%</c> in the binding attributes of the <c>[Function]</c> methods of <paramref name="functions"/>.</summary>
    public static IReadOnlyList<TriggerSetting> Read(Assembly functions, IConfiguration configuration) =>
    [
        .. from type in functions.GetTypes()
           from method in type.GetMethods()
           let function = method.GetCustomAttribute<FunctionAttribute>()
           where function is not null
           from binding in method.GetParameters().SelectMany(parameter => parameter.GetCustomAttributes<BindingAttribute>())
           from property in binding.GetType().GetProperties()
           where property.PropertyType == typeof(string)
           from reference in SettingReference().Matches((string?)property.GetValue(binding) ?? string.Empty)
           let name = reference.Groups[1].Value
           orderby function.Name, name
           select new TriggerSetting(function.Name, name, configuration[name], binding is TimerTriggerAttribute timer && timer.Schedule == reference.Value),
    ];

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingReference();
}

internal sealed class TriggerSettingsValidator : IValidateOptions<TriggerSettings>
{
    public ValidateOptionsResult Validate(string? name, TriggerSettings options)
    {
        var failures = new List<string>();
        foreach (var setting in options.Settings)
        {
            if (string.IsNullOrWhiteSpace(setting.Value))
            {
                failures.Add($"{setting.Name} is not set: the Functions host would disable the function {setting.Function}, whose trigger binds to it.");
            }
            else if (setting.IsSchedule && !JobSchedule.TryParse(setting.Value, azureTimer: true, out _))
            {
                failures.Add($"{setting.Name} '{setting.Value}', the schedule of the function {setting.Function}, is not a 6-field NCRONTAB expression (second minute hour day month weekday, UTC).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal static class TriggerSettingsServiceCollectionExtensions
{
    /// <summary>Reads the trigger settings of <paramref name="functions"/> from <paramref name="configuration"/> and validates them when the host starts.</summary>
    public static IServiceCollection AddTriggerSettings(this IServiceCollection services, Assembly functions, IConfiguration configuration)
    {
        services.AddOptions<TriggerSettings>()
            .Configure(settings => settings.Settings = TriggerSettings.Read(functions, configuration))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TriggerSettings>, TriggerSettingsValidator>();
        return services;
    }
}
