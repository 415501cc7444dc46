using System.Text.Json;
using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Interpretation;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Scoring;
using InPsyq.Weekly.Tests.Interpretation;

namespace InPsyq.Weekly.UnitTests.Interpretation;

public sealed class OfflineInterpreterTests
{
    private readonly OfflineInterpreter _offline = new();

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(0, 8)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Every_generated_input_gets_valid_sections(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 250; i++)
        {
            var input = RandomInput(random);

            var result = await _offline.InterpretAsync(input, CancellationToken.None);

            var violations = InterpretationValidator.Validate(result.Sections, input);
            Assert.True(violations.Count == 0, $"seed {seed}, input {i}: {string.Join("; ", violations)}");
            Assert.Equal(OfflineInterpreter.ModelId, result.ModelId);
            Assert.Equal(TokenUsage.None, result.Usage);
        }
    }

    [Fact]
    public async Task The_same_input_gives_the_same_sections()
    {
        var first = await _offline.InterpretAsync(InterpretationTestData.Input(), CancellationToken.None);
        var second = await _offline.InterpretAsync(InterpretationTestData.Input(), CancellationToken.None);

        Assert.Equal(first.Sections.ToJsonString(), second.Sections.ToJsonString());
    }

    [Fact]
    public void The_wording_is_pinned_to_the_model_id_so_that_changing_it_rewrites_the_stored_interpretations()
    {
        var random = new Random(20251020);
        var wording = string.Join('\n', Enumerable.Range(0, 300).Select(_ =>
            JsonSerializer.Serialize(OfflineInterpreter.Interpret(RandomInput(random)), WeeklyJson.Options)));
        var digest = InterpretationTestData.Sha256Hex(wording);

        // The model id is part of the interpretation input hash; stored rows are written again only when it changes.
        // Changed the wording on purpose? Give OfflineInterpreter.ModelId a new version and pin the new digest here.
        Assert.Equal(("offline-v2", "c404437aab9931a301314c1d46cfd1256498e8d1bc8112d35fe77b53a370be4a"), (OfflineInterpreter.ModelId, digest));
    }

    [Fact]
    public async Task Team_names_never_reach_the_prose()
    {
        var input = InterpretationTestData.Input(upstreamLabel: "Crisis Team 42");

        var result = await _offline.InterpretAsync(input, CancellationToken.None);

        Assert.Empty(InterpretationValidator.Validate(result.Sections, input));
        Assert.Equal("Crisis Team 42", (string)result.Sections["primary_drivers"]!["external"]![0]!["label"]!);
    }

    [Fact]
    public async Task A_monitor_only_week_gets_one_focus_item()
    {
        var result = await _offline.InterpretAsync(InterpretationTestData.MonitorOnlyInput(), CancellationToken.None);

        Assert.Single(result.Sections["recommended_focus"]!.AsArray());
    }

    private static InterpretationInput RandomInput(Random random)
    {
        var indices = Enum.GetValues<IndexKind>().Where(_ => random.Next(4) > 0).Select(kind =>
        {
            var computed = random.Next(5) > 0;
            return new IndexReading(
                kind,
                computed ? random.NextDouble() : null,
                computed ? Pick<IndexState>(random) : null,
                computed && random.Next(3) > 0 ? random.NextDouble() - 0.5 : null,
                computed && random.Next(3) > 0 ? Pick<Trend>(random) : null,
                Pick<Regime>(random),
                Pick<Stability>(random),
                Pick<PrimarySource>(random),
                Pick<PropagationRisk>(random));
        }).ToList();
        var factors = Enum.GetValues<Factor>();
        var drivers = Enumerable.Range(0, random.Next(9)).Select(_ => new DriverReading(
            WireName.Of(factors[random.Next(factors.Length)]), Pick<IndexKind>(random), random.Next(2) == 0, random.NextDouble(),
            Pick<DriverBand>(random), Pick<Severity>(random), random.NextDouble())).ToList();
        var dependencies = Enumerable.Range(0, random.Next(7)).Select(_ => new DependencyReading(
            $"Team {random.Next(1000)} with a long name", Pick<IndexKind>(random), Pick<DependencyKind>(random), random.NextDouble(),
            Pick<DependencyLevel>(random), Pick<Controllability>(random), random.Next(2) == 0)).ToList();
        return new InterpretationInput
        {
            WeekLabel = "2025-W11",
            TeamRegime = Pick<Regime>(random),
            Indices = indices,
            Drivers = drivers,
            Dependencies = dependencies,
            DataQuality = new DataQuality(random.Next(0, 40), random.Next(0, 13), Pick<Stability>(random), random.Next(0, 12)),
            Flags = random.Next(3) == 0 ? [AttributionFlags.NoOrgBaseline] : [],
        };
    }

    private static T Pick<T>(Random random)
        where T : struct, Enum
    {
        var values = Enum.GetValues<T>();
        return values[random.Next(values.Length)];
    }
}
