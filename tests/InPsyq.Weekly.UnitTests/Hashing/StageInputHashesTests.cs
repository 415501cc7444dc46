using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Hashing;

namespace InPsyq.Weekly.UnitTests.Hashing;

public class StageInputHashesTests
{
    private static readonly Guid Team = new("20000000-0000-0000-0000-000000000000");
    private static readonly Guid UpstreamA = new("10000000-0000-0000-0000-000000000000");
    private static readonly Guid UpstreamB = new("90000000-0000-0000-0000-000000000000");
    private static readonly Guid Org = new("aaaaaaaa-0000-0000-0000-000000000000");

    private static readonly AttributionHashInput Baseline = new(
        [
            new AggregateHash(Team, new DateOnly(2025, 1, 6), "t1"),
            new AggregateHash(Team, new DateOnly(2025, 1, 13), "t2"),
            new AggregateHash(UpstreamA, new DateOnly(2025, 1, 13), "a2"),
            new AggregateHash(UpstreamB, new DateOnly(2025, 1, 6), "b1"),
        ],
        OrgWeekDigest: "digest",
        [
            new DependencyEdge(Org, UpstreamA, Team, DependencyKind.Process, 0.5),
            new DependencyEdge(Org, UpstreamB, Team, DependencyKind.Organizational, 1),
        ],
        ComputeVersion: "1");

    [Fact]
    public void The_attribution_hash_does_not_depend_on_input_order()
    {
        var reordered = Baseline with
        {
            AggregateHashes = Baseline.AggregateHashes.Reverse().ToList(),
            DependencyEdges = Baseline.DependencyEdges.Reverse().ToList(),
        };

        Assert.Equal(StageInputHashes.Attribution(Baseline), StageInputHashes.Attribution(reordered));
    }

    public static TheoryData<string, AttributionHashInput> ChangedInputs => new()
    {
        { "compute version", Baseline with { ComputeVersion = "2" } },
        { "org digest", Baseline with { OrgWeekDigest = "other" } },
        { "aggregate hash", Baseline with { AggregateHashes = [.. Baseline.AggregateHashes.SkipLast(1), new AggregateHash(UpstreamB, new DateOnly(2025, 1, 6), "b1'")] } },
        { "aggregate week", Baseline with { AggregateHashes = [.. Baseline.AggregateHashes.SkipLast(1), new AggregateHash(UpstreamB, new DateOnly(2025, 1, 13), "b1")] } },
        { "missing aggregate", Baseline with { AggregateHashes = [.. Baseline.AggregateHashes.SkipLast(1)] } },
        { "edge weight", Baseline with { DependencyEdges = [Baseline.DependencyEdges.First(), Baseline.DependencyEdges.Last() with { Weight = 0.9 }] } },
        { "edge kind", Baseline with { DependencyEdges = [Baseline.DependencyEdges.First(), Baseline.DependencyEdges.Last() with { Kind = DependencyKind.TemporalDeadline }] } },
        { "edge removed", Baseline with { DependencyEdges = [Baseline.DependencyEdges.First()] } },
    };

    [Theory]
    [MemberData(nameof(ChangedInputs))]
    public void Any_changed_attribution_input_changes_the_hash(string change, AttributionHashInput changed)
    {
        Assert.False(StageInputHashes.Attribution(Baseline) == StageInputHashes.Attribution(changed), change);
    }

    [Fact]
    public void The_interpretation_hash_covers_its_four_inputs()
    {
        var hash = StageInputHashes.Interpretation("abc", "p1", "offline-v1", "interpretation.v1");

        // sha256("attribution_hash=abc\nprompt_version=p1\nmodel_id=offline-v1\nschema_version=interpretation.v1\n")
        Assert.Equal("90e1d64094a87064f7b73c714e3a4013dd94912d1793a0202f6b8e0647d7aff1", hash);
        Assert.NotEqual(hash, StageInputHashes.Interpretation("abd", "p1", "offline-v1", "interpretation.v1"));
        Assert.NotEqual(hash, StageInputHashes.Interpretation("abc", "p2", "offline-v1", "interpretation.v1"));
        Assert.NotEqual(hash, StageInputHashes.Interpretation("abc", "p1", "gpt-4o", "interpretation.v1"));
        Assert.NotEqual(hash, StageInputHashes.Interpretation("abc", "p1", "offline-v1", "interpretation.v2"));
    }
}
