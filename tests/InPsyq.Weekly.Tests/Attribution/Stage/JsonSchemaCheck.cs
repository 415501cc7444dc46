using System.Text.Json;
using System.Text.Json.Nodes;

namespace InPsyq.Weekly.Tests.Attribution.Stage;

/// <summary>
/// A structural check of a JSON document against the subset of JSON Schema 2020-12 the published schemas use:
/// <c>$ref</c> (local pointers), <c>type</c>, <c>const</c>, <c>enum</c>, <c>required</c>, <c>properties</c>,
/// <c>additionalProperties</c>, <c>propertyNames</c> and <c>items</c>. Formats, patterns and bounds are not checked.
/// </summary>
public static class JsonSchemaCheck
{
    public static List<string> Errors(JsonNode schemaRoot, JsonNode? instance)
    {
        var errors = new List<string>();
        Check(schemaRoot, schemaRoot, instance, "$", errors);
        return errors;
    }

    public static JsonNode LoadPublished(string fileName)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var path = Path.Combine(directory.FullName, "schemas", fileName);
            if (File.Exists(path))
            {
                return JsonNode.Parse(File.ReadAllText(path))!;
            }
        }

        throw new FileNotFoundException($"schemas/{fileName} not found above {AppContext.BaseDirectory}.");
    }

    private static void Check(JsonNode root, JsonNode schema, JsonNode? instance, string at, List<string> errors)
    {
        if (schema["$ref"] is { } reference)
        {
            var target = reference.GetValue<string>()[2..].Split('/').Aggregate((JsonNode?)root, (node, segment) => node?[segment]);
            Check(root, target ?? throw new InvalidOperationException($"Unresolved $ref {reference}."), instance, at, errors);
        }

        if (schema["type"] is { } type && !TypeNames(type).Contains(TypeOf(instance)) && !(TypeOf(instance) == "integer" && TypeNames(type).Contains("number")))
        {
            errors.Add($"{at}: is {TypeOf(instance)}, expected {type.ToJsonString()}");
        }

        if (schema["const"] is { } constant && !JsonNode.DeepEquals(constant, instance))
        {
            errors.Add($"{at}: is not {constant.ToJsonString()}");
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(value => JsonNode.DeepEquals(value, instance)))
        {
            errors.Add($"{at}: {instance?.ToJsonString() ?? "null"} is not one of {allowed.ToJsonString()}");
        }

        if (instance is JsonObject obj)
        {
            CheckObject(root, schema, obj, at, errors);
        }

        if (instance is JsonArray array && schema["items"] is { } items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Check(root, items, array[i], $"{at}[{i}]", errors);
            }
        }
    }

    private static void CheckObject(JsonNode root, JsonNode schema, JsonObject instance, string at, List<string> errors)
    {
        foreach (var required in schema["required"]?.AsArray() ?? [])
        {
            if (!instance.ContainsKey(required!.GetValue<string>()))
            {
                errors.Add($"{at}: missing required property {required}");
            }
        }

        var properties = schema["properties"]?.AsObject();
        foreach (var (name, value) in instance)
        {
            if (schema["propertyNames"] is { } names)
            {
                Check(root, names, JsonValue.Create(name), $"{at} (name {name})", errors);
            }

            if (properties is not null && properties.TryGetPropertyValue(name, out var property))
            {
                Check(root, property!, value, $"{at}.{name}", errors);
            }
            else if (schema["additionalProperties"] is { } additional)
            {
                if (additional.GetValueKind() == JsonValueKind.False)
                {
                    errors.Add($"{at}: unexpected property {name}");
                }
                else if (additional.GetValueKind() == JsonValueKind.Object)
                {
                    Check(root, additional, value, $"{at}.{name}", errors);
                }
            }
        }
    }

    private static List<string> TypeNames(JsonNode type) =>
        type is JsonArray names ? [.. names.Select(name => name!.GetValue<string>())] : [type.GetValue<string>()];

    private static string TypeOf(JsonNode? instance) => instance?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Number => instance.GetValue<JsonElement>().TryGetInt64(out _) ? "integer" : "number",
        _ => "unknown",
    };
}
