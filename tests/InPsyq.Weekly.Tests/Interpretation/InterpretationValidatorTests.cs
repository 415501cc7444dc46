using System.Text.Json.Nodes;
using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Interpretation;
using InPsyq.Weekly.Tests.Deployment;
using static InPsyq.Weekly.Tests.Interpretation.InterpretationTestData;

namespace InPsyq.Weekly.Tests.Interpretation;

public sealed class InterpretationValidatorTests
{
    [Fact]
    public void Valid_sections_pass()
    {
        Assert.Empty(InterpretationValidator.Validate(ValidSections(), Input()));
        Assert.Empty(InterpretationValidator.Validate(ValidSections(withDrivers: false), MonitorOnlyInput()));
    }

    [Theory]
    [InlineData("executive_summary", 39)]
    [InlineData("executive_summary", 91)]
    [InlineData("confidence_and_limits", 24)]
    [InlineData("confidence_and_limits", 61)]
    public void Text_outside_its_word_range_is_caught(string section, int words)
    {
        var sections = ValidSections();
        sections[section] = Words(words);

        AssertBroken(sections, $"$.{section}", InterpretationViolation.WordCount);
    }

    [Theory]
    [InlineData(40)]
    [InlineData(90)]
    public void Summary_at_the_word_limits_passes(int words)
    {
        var sections = ValidSections();
        sections["executive_summary"] = Words(words);

        Assert.Empty(InterpretationValidator.Validate(sections, Input()));
    }

    [Fact]
    public void A_word_is_a_whitespace_separated_token()
    {
        Assert.Equal(4, InterpretationValidator.CountWords("  one\ttwo\n three-and-a-half   four. "));
    }

    [Theory]
    [InlineData("what_changed", 2)]
    [InlineData("what_changed", 7)]
    [InlineData("risk_outlook", 4)]
    [InlineData("recommended_focus", 0)]
    [InlineData("recommended_focus", 6)]
    public void Lists_outside_their_item_range_are_caught(string section, int items)
    {
        var sections = ValidSections();
        sections[section] = new JsonArray([.. Enumerable.Repeat("A short item.", items).Select(item => JsonValue.Create(item))]);

        AssertBroken(sections, $"$.{section}", InterpretationViolation.ItemCount);
    }

    [Theory]
    [InlineData("what_changed", 19)]
    [InlineData("risk_outlook", 26)]
    [InlineData("recommended_focus", 26)]
    public void Items_above_their_word_limit_are_caught(string section, int words)
    {
        var sections = ValidSections();
        sections[section]!.AsArray()[0] = Words(words);

        AssertBroken(sections, $"$.{section}[0]", InterpretationViolation.WordCount);
    }

    [Fact]
    public void More_than_three_drivers_are_caught()
    {
        var sections = ValidSections();
        var note = new JsonObject { ["label"] = "control", ["note"] = "Low control." };
        sections["primary_drivers"]!["internal"] = new JsonArray([.. Enumerable.Range(0, 4).Select(_ => note.DeepClone())]);

        AssertBroken(sections, "$.primary_drivers.internal", InterpretationViolation.ItemCount);
    }

    [Theory]
    [InlineData("internal", "sleep_quality")]
    [InlineData("internal", "Platform")]
    [InlineData("external", "emotional_load")]
    [InlineData("external", "Another team")]
    public void An_invented_label_is_caught(string list, string label)
    {
        var sections = ValidSections();
        sections["primary_drivers"]![list]![0]!["label"] = label;

        AssertBroken(sections, $"$.primary_drivers.{list}[0].label", InterpretationViolation.Label);
    }

    [Fact]
    public void A_label_is_caught_when_the_input_has_no_drivers_at_all()
    {
        AssertBroken(ValidSections(), MonitorOnlyInput() with { Drivers = [] }, "$.primary_drivers.internal[0].label", InterpretationViolation.Label);
    }

    [Fact]
    public void Seven_numbers_are_caught_and_six_pass()
    {
        var sections = ValidSections();
        sections["executive_summary"] = Summary + " Figures: 1, 2.5, 30%, 4,5, 8 and 6.";
        Assert.Empty(InterpretationValidator.Validate(sections, Input()));

        sections["confidence_and_limits"] = Limits + " Seven 7.";
        AssertBroken(sections, "$", InterpretationViolation.NumberCount);
    }

    [Fact]
    public void Numbers_in_labels_are_not_counted()
    {
        var sections = ValidSections(upstreamLabel: "Team 7 2024 1 2 3 4 5");
        sections["executive_summary"] = Summary + " Figures: 1, 2, 3, 4, 5 and 6.";

        Assert.Empty(InterpretationValidator.Validate(sections, Input(upstreamLabel: "Team 7 2024 1 2 3 4 5")));
    }

    [Theory]
    [InlineData("A risk of burnout.")]
    [InlineData("A TOXIC pattern.")]
    [InlineData("Not a Crisis yet.")]
    [InlineData("No mental  health\ndisorder.")]
    [InlineData("No psychological disorder.")]
    [InlineData("Nobody is mentally ill.")]
    [InlineData("Nothing suicidal.")]
    public void Forbidden_phrases_are_caught_case_insensitively(string text)
    {
        var sections = ValidSections();
        sections["risk_outlook"]!.AsArray()[0] = text;

        AssertBroken(sections, "$", InterpretationViolation.ForbiddenPhrase);
    }

    [Fact]
    public void More_focus_items_than_a_monitor_only_policy_allows_are_caught()
    {
        var input = MonitorOnlyInput();
        Assert.Equal(1, input.MaxRecommendedFocus);
        var sections = ValidSections(withDrivers: false);
        sections["recommended_focus"] = new JsonArray("Keep the rhythm.", "Check in next week.");

        AssertBroken(sections, input, "$.recommended_focus", InterpretationViolation.ItemCount);
    }

    [Fact]
    public void The_focus_policy_follows_states_severities_and_levels()
    {
        Assert.Equal(5, Input().MaxRecommendedFocus);
        Assert.Equal(1, MonitorOnlyInput().MaxRecommendedFocus);

        var lowSeverities = Input() with
        {
            Drivers = [Input().Drivers[1]],
            Dependencies = [Input().Dependencies[0] with { Level = DependencyLevel.D1 }],
        };
        Assert.Equal(3, lowSeverities.MaxRecommendedFocus);

        // High states alone do not raise the maximum above 3; only drivers above C1 or dependencies above D1 do.
        Assert.Equal(3, (Input() with { Drivers = [], Dependencies = [] }).MaxRecommendedFocus);
    }

    [Theory]
    [InlineData("""{"executive_summary": "x"}""")]
    [InlineData("[]")]
    [InlineData("null")]
    public void Output_that_does_not_match_the_schema_is_caught(string json)
    {
        var violations = InterpretationValidator.Validate(JsonNode.Parse(json), Input());

        Assert.Contains(violations, violation => violation.Rule == InterpretationViolation.Schema);
    }

    [Fact]
    public void Unknown_properties_and_wrong_types_are_caught()
    {
        var sections = ValidSections();
        sections["mood"] = "fine";
        sections["what_changed"] = "not a list";

        var violations = InterpretationValidator.Validate(sections, Input());

        Assert.Contains(violations, violation => violation is { Path: "$.mood", Rule: InterpretationViolation.Schema });
        Assert.Contains(violations, violation => violation is { Path: "$.what_changed", Rule: InterpretationViolation.Schema });
    }

    [Fact]
    public void The_request_schema_lists_the_input_labels_as_enums()
    {
        var schema = InterpretationSchema.ForInput(Input());
        var drivers = schema["properties"]!["primary_drivers"]!["properties"]!;

        Assert.Equal(["control", "emotional_load"], drivers["internal"]!["items"]!["properties"]!["label"]!["enum"]!.AsArray().Select(label => (string)label!));
        Assert.Equal(["Platform"], drivers["external"]!["items"]!["properties"]!["label"]!["enum"]!.AsArray().Select(label => (string)label!));
        Assert.Null(schema["$schema"]);
        Assert.False(schema["additionalProperties"]!.GetValue<bool>());
    }

    [Fact]
    public void The_published_schema_file_is_the_embedded_one()
    {
        var published = JsonNode.Parse(File.ReadAllText(RepositoryFiles.PathOf("schemas/interpretation.v1.json")))!.AsObject();
        published.Remove("$schema");
        published.Remove("$id");
        published.Remove("title");
        var request = InterpretationSchema.ForInput(Input());
        var drivers = request["properties"]!["primary_drivers"]!["properties"]!;
        drivers["internal"]!["items"]!["properties"]!["label"]!.AsObject().Remove("enum");
        drivers["external"]!["items"]!["properties"]!["label"]!.AsObject().Remove("enum");

        Assert.True(JsonNode.DeepEquals(published, request));
    }

    private static void AssertBroken(JsonObject sections, string path, string rule) => AssertBroken(sections, Input(), path, rule);

    private static void AssertBroken(JsonObject sections, InterpretationInput input, string path, string rule)
    {
        var violations = InterpretationValidator.Validate(sections, input);

        Assert.Contains(violations, violation => violation.Path == path && violation.Rule == rule);
    }
}
