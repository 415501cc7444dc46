using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace InPsyq.Functions.Tests;

/// <summary>
/// The Functions app composed exactly as its <c>Program</c> composes it (<see cref="FunctionsApp.CreateBuilder"/>), over
/// test settings: the values of <c>local.settings.sample.json</c> (what a local Functions host hands the worker),
/// the local services' connection strings and test secrets. Built, never started, so nothing connects anywhere.
/// </summary>
internal static class FunctionsAppHost
{
    /// <summary>The function classes of the app: every type with a <c>[Function]</c> method.</summary>
    public static IReadOnlyList<Type> FunctionClasses { get; } =
    [
        .. typeof(FunctionsApp).Assembly.GetTypes()
            .Where(type => type.GetMethods().Any(method => method.GetCustomAttribute<FunctionAttribute>() is not null))
            .OrderBy(type => type.Name, StringComparer.Ordinal),
    ];

    /// <summary>The test settings.</summary>
    public static Dictionary<string, string?> Settings()
    {
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "local.settings.sample.json")))!;
        var settings = sample["Values"]!.AsObject().ToDictionary(value => value.Key, value => (string?)value.Value, StringComparer.Ordinal);
        settings["POSTGRES_CONNECTION_STRING"] = RequireEnvironment("POSTGRES_CONNECTION_STRING");
        settings["BLOB_CONNECTION_STRING"] = RequireEnvironment("BLOB_CONNECTION_STRING");
        settings["INTERNAL_CRON_SECRET"] = "functions-test-cron-secret-0123456789abcdef";
        settings["INTERNAL_ADMIN_SECRET"] = "functions-test-admin-secret-0123456789abcdef";
        return settings;
    }

    /// <summary>
    /// The app over the test settings with <paramref name="overrides"/> (a null value removes the setting) and nothing
    /// else: the process environment does not leak in.
    /// </summary>
    public static IHost Build(IReadOnlyDictionary<string, string?>? overrides = null, Action<IServiceCollection>? configure = null)
    {
        var settings = Settings();
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                settings.Remove(key);
            }
            else
            {
                settings[key] = value;
            }
        }

        var builder = FunctionsApp.CreateBuilder([]);
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        configure?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>
    /// What the host checks before it starts anything (every <c>ValidateOnStart</c> options class): the failures that
    /// would stop the app, none when it would start.
    /// </summary>
    public static List<string> StartupFailures(IHost host)
    {
        try
        {
            host.Services.GetRequiredService<IStartupValidator>().Validate();
            return [];
        }
        catch (OptionsValidationException e)
        {
            return [.. e.Failures];
        }
        catch (AggregateException e)
        {
            return [.. e.InnerExceptions.OfType<OptionsValidationException>().SelectMany(inner => inner.Failures)];
        }
    }

    private static string RequireEnvironment(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set. Run the tests with scripts/test.sh, or source the env file scripts/services.sh start prints.");

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "local.settings.sample.json")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No local.settings.sample.json above {AppContext.BaseDirectory}: the tests must run inside the repository.");
    }
}
