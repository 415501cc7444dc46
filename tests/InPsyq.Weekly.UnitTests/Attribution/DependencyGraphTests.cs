using InPsyq.Weekly.Attribution.Computation;

namespace InPsyq.Weekly.UnitTests.Attribution;

public class DependencyGraphTests
{
    private static readonly Guid OrgA = new("aaaaaaaa-0000-0000-0000-000000000000");
    private static readonly Guid OrgB = new("bbbbbbbb-0000-0000-0000-000000000000");
    private static readonly Guid Team1 = Team(1);
    private static readonly Guid Team2 = Team(2);
    private static readonly Guid Team3 = Team(3);
    private static readonly Guid ArchivedTeam = Team(4);
    private static readonly Guid OtherOrgTeam = Team(5);

    private static readonly Dictionary<Guid, TeamMembership> Teams = new[]
    {
        new TeamMembership(Team1, OrgA, IsArchived: false),
        new TeamMembership(Team2, OrgA, IsArchived: false),
        new TeamMembership(Team3, OrgA, IsArchived: false),
        new TeamMembership(ArchivedTeam, OrgA, IsArchived: true),
        new TeamMembership(OtherOrgTeam, OrgB, IsArchived: false),
    }.ToDictionary(team => team.TeamId);

    [Fact]
    public void Invalid_edges_become_warnings_and_cycles_are_kept()
    {
        var oneToTwo = Edge(Team1, Team2);
        var twoToOne = Edge(Team2, Team1);
        var self = Edge(Team3, Team3);
        var crossOrg = Edge(OtherOrgTeam, Team3);
        var wrongEdgeOrg = Edge(Team1, Team3) with { OrgId = OrgB };
        var toArchived = Edge(Team2, ArchivedTeam);
        var fromArchived = Edge(ArchivedTeam, Team3);
        var unknown = Edge(Team(99), Team1);

        var validation = DependencyGraph.Validate(
            [unknown, fromArchived, toArchived, wrongEdgeOrg, crossOrg, self, twoToOne, oneToTwo],
            Teams);

        Assert.Equal([oneToTwo, twoToOne], validation.ValidEdges);
        Assert.Equal(
            [
                (wrongEdgeOrg, DependencyWarning.CrossOrg),
                (toArchived, DependencyWarning.ArchivedTeam),
                (self, DependencyWarning.SelfEdge),
                (fromArchived, DependencyWarning.ArchivedTeam),
                (crossOrg, DependencyWarning.CrossOrg),
                (unknown, DependencyWarning.UnknownTeam),
            ],
            validation.Warnings.Select(warning => (warning.Edge, warning.Reason)));
        Assert.Equal("INVALID_DEPENDENCY", DependencyWarning.Code);
    }

    private static DependencyEdge Edge(Guid upstream, Guid downstream) =>
        new(OrgA, upstream, downstream, DependencyKind.Process, 0.5);

    private static Guid Team(int id) => new($"00000000-0000-0000-0000-{id:D12}");
}
