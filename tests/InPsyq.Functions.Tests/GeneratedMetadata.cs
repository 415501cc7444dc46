using System.Text.Json;

namespace InPsyq.Functions.Tests;

/// <summary>One function as the Functions host indexes it: its entry in the <c>functions.metadata</c> the SDK generates.</summary>
internal sealed record GeneratedFunction(string Name, string EntryPoint, string ScriptFile, GeneratedTrigger Trigger, IReadOnlyList<string> OutputTypes);

/// <summary>A function's trigger binding: its type and, by type, its schedule, its route, methods and auth level, or its queue and connection.</summary>
internal sealed record GeneratedTrigger(
    string Type, string? Schedule, string? Route, IReadOnlyList<string> Methods, string? AuthLevel, string? QueueName = null, string? Connection = null);

/// <summary>
/// The <c>functions.metadata</c> the Functions SDK writes when <c>src/InPsyq.Functions</c> builds; it is copied next
/// to these tests with the app's assembly.
/// </summary>
internal static class GeneratedMetadata
{
    public static IReadOnlyList<GeneratedFunction> Functions { get; } = Read();

    private static List<GeneratedFunction> Read()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"{path} does not exist: the Functions SDK writes it when src/InPsyq.Functions builds, and the build copies it next to the tests.");
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return [.. document.RootElement.EnumerateArray().Select(function =>
        {
            var bindings = function.GetProperty("bindings").EnumerateArray().ToList();
            var trigger = bindings.Single(binding => Text(binding, "direction") == "In" && Text(binding, "type")!.EndsWith("Trigger", StringComparison.Ordinal));
            return new GeneratedFunction(
                Text(function, "name")!,
                Text(function, "entryPoint")!,
                Text(function, "scriptFile")!,
                new GeneratedTrigger(
                    Text(trigger, "type")!,
                    Text(trigger, "schedule"),
                    Text(trigger, "route"),
                    trigger.TryGetProperty("methods", out var methods) ? [.. methods.EnumerateArray().Select(method => method.GetString()!)] : [],
                    Text(trigger, "authLevel"),
                    Text(trigger, "queueName"),
                    Text(trigger, "connection")),
                [.. bindings.Where(binding => Text(binding, "direction") == "Out").Select(binding => Text(binding, "type")!)]);
        })];
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.GetString() : null;
}
