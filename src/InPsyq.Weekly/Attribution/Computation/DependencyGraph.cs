namespace InPsyq.Weekly.Attribution.Computation;

/// <summary>
/// Separates usable dependency edges from those to ignore with an <see cref="DependencyWarning.Code"/> warning:
/// self-edges, edges to a team that is unknown, archived or in another org. Cycles are harmless (only this week's
/// deltas are read), so they are kept. Whether an upstream has a value this week is a per-week eligibility
/// question for the caller, not a defect of the edge.
/// </summary>
public static class DependencyGraph
{
    /// <summary>Both lists ordered by upstream, then downstream team id.</summary>
    public static DependencyValidation Validate(
        IEnumerable<DependencyEdge> edges,
        IReadOnlyDictionary<Guid, TeamMembership> teams)
    {
        var validEdges = new List<DependencyEdge>();
        var warnings = new List<DependencyWarning>();

        foreach (var edge in edges.OrderBy(edge => edge.UpstreamTeamId).ThenBy(edge => edge.DownstreamTeamId))
        {
            if (InvalidityReason(edge, teams) is { } reason)
            {
                warnings.Add(new DependencyWarning(edge, reason));
            }
            else
            {
                validEdges.Add(edge);
            }
        }

        return new DependencyValidation(validEdges, warnings);
    }

    private static string? InvalidityReason(DependencyEdge edge, IReadOnlyDictionary<Guid, TeamMembership> teams)
    {
        if (edge.UpstreamTeamId == edge.DownstreamTeamId)
        {
            return DependencyWarning.SelfEdge;
        }

        if (!teams.TryGetValue(edge.UpstreamTeamId, out var upstream) || !teams.TryGetValue(edge.DownstreamTeamId, out var downstream))
        {
            return DependencyWarning.UnknownTeam;
        }

        if (upstream.OrgId != edge.OrgId || downstream.OrgId != edge.OrgId)
        {
            return DependencyWarning.CrossOrg;
        }

        return upstream.IsArchived || downstream.IsArchived ? DependencyWarning.ArchivedTeam : null;
    }
}
