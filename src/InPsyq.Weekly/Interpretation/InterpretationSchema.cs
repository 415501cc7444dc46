using System.Text.Json;
using System.Text.Json.Nodes;

namespace InPsyq.Weekly.Interpretation;

/// <summary>
/// The published <c>schemas/interpretation.v1.json</c> (embedded in this assembly): the strict response format of
/// the Azure OpenAI path and the structural half of <see cref="InterpretationValidator"/> for both paths.
/// </summary>
public static class InterpretationSchema
{
    public const string Name = "interpretation_v1";

    /// <summary>The label of a driver list whose input is empty: no item can use it, so the list must stay empty.</summary>
    internal const string NoLabel = "none";

    private static readonly JsonObject s_published = Load();

    /// <summary>
    /// The schema of one request: the published one without its document keywords, with the driver labels of
    /// <paramref name="input"/> as enums, so a model cannot name a driver that is not in the input.
    /// </summary>
    public static JsonObject ForInput(InterpretationInput input)
    {
        var schema = s_published.DeepClone().AsObject();
        schema.Remove("$schema");
        schema.Remove("$id");
        schema.Remove("title");
        var drivers = schema["properties"]!["primary_drivers"]!["properties"]!;
        SetLabels(drivers["internal"]!, input.InternalLabels);
        SetLabels(drivers["external"]!, input.ExternalLabels);
        return schema;
    }

    /// <summary>Checks the subset of JSON Schema that the published schema uses: type, properties, required, additionalProperties, items, enum.</summary>
    internal static void Check(JsonNode schema, JsonNode? value, string path, List<InterpretationViolation> violations)
    {
        var type = schema["type"]!.GetValue<string>();
        switch (type)
        {
            case "object":
                CheckObject(schema, value, path, violations);
                break;
            case "array" when value is JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Check(schema["items"]!, array[i], $"{path}[{i}]", violations);
                }

                break;
            case "string" when value is JsonValue text && text.GetValueKind() == JsonValueKind.String:
                if (schema["enum"] is JsonArray allowed && !allowed.Any(option => option!.GetValue<string>() == text.GetValue<string>()))
                {
                    violations.Add(new(path, InterpretationViolation.Label,
                        $"must be one of the labels given in the input ({string.Join(", ", allowed.Select(option => option!.GetValue<string>()))})"));
                }

                break;
            case "array" or "string":
                violations.Add(new(path, InterpretationViolation.Schema, $"must be a JSON {type}"));
                break;
            default:
                throw new InvalidOperationException($"The interpretation schema uses type '{type}', which the validator does not support.");
        }
    }

    private static void CheckObject(JsonNode schema, JsonNode? value, string path, List<InterpretationViolation> violations)
    {
        if (value is not JsonObject instance)
        {
            violations.Add(new(path, InterpretationViolation.Schema, "must be a JSON object"));
            return;
        }

        var properties = schema["properties"]!.AsObject();
        foreach (var required in schema["required"]!.AsArray().Select(name => name!.GetValue<string>()))
        {
            if (!instance.ContainsKey(required))
            {
                violations.Add(new($"{path}.{required}", InterpretationViolation.Schema, "is required"));
            }
        }

        foreach (var (name, member) in instance)
        {
            if (properties[name] is { } memberSchema)
            {
                Check(memberSchema, member, $"{path}.{name}", violations);
            }
            else
            {
                violations.Add(new($"{path}.{name}", InterpretationViolation.Schema, "is not a property of the schema"));
            }
        }
    }

    private static void SetLabels(JsonNode list, IReadOnlyList<string> labels)
    {
        var label = list["items"]!["properties"]!["label"]!.AsObject();
        label["enum"] = new JsonArray([.. (labels.Count == 0 ? [NoLabel] : labels).Select(name => JsonValue.Create(name))]);
    }

    private static JsonObject Load()
    {
        using var stream = typeof(InterpretationSchema).Assembly.GetManifestResourceStream("schemas/interpretation.v1.json")
            ?? throw new InvalidOperationException("The embedded schema schemas/interpretation.v1.json is missing.");
        return JsonNode.Parse(stream)!.AsObject();
    }
}
