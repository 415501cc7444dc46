namespace InPsyq.Weekly.Attribution.Computation;

/// <summary>"The downstream team depends on the upstream team", as stored in <c>team_dependencies</c>.</summary>
public sealed record DependencyEdge(
    Guid OrgId,
    Guid UpstreamTeamId,
    Guid DownstreamTeamId,
    DependencyKind Kind,
    double Weight);

/// <summary>What edge validation needs to know about a team.</summary>
public sealed record TeamMembership(Guid TeamId, Guid OrgId, bool IsArchived);

/// <summary>An ignored edge, reported as a run warning.</summary>
public sealed record DependencyWarning(DependencyEdge Edge, string Reason)
{
    public const string Code = "INVALID_DEPENDENCY";

    public const string SelfEdge = "self_edge";
    public const string CrossOrg = "cross_org";
    public const string ArchivedTeam = "archived_team";
    public const string UnknownTeam = "unknown_team";
}

public sealed record DependencyValidation(IReadOnlyList<DependencyEdge> ValidEdges, IReadOnlyList<DependencyWarning> Warnings);
