using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.UnitTests.Configuration;

/// <summary>App settings by name, bound to an options class as a host binds them.</summary>
internal static class AppSettings
{
    public static IConfiguration From(params (string Setting, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(setting => KeyValuePair.Create(setting.Setting, (string?)setting.Value))).Build();

    public static T Bind<T>(this IConfiguration configuration) where T : new()
    {
        var options = new T();
        configuration.Bind(options);
        return options;
    }
}
