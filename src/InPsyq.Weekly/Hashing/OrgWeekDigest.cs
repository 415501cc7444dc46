using System.Text;

namespace InPsyq.Weekly.Hashing;

/// <summary>
/// The org's week digest: SHA-256 of the <c>team_id:hash</c> lines of the org's stage-1 results that week, sorted by
/// team_id. The caller includes suppressed teams and omits teams without data.
/// </summary>
public static class OrgWeekDigest
{
    public static string Compute(IEnumerable<(Guid TeamId, string Hash)> teamAggregateHashes)
    {
        var lines = new StringBuilder();
        Guid? previousTeamId = null;

        // Lowercase "D" strings sort ordinally like Postgres sorts uuids.
        foreach (var (teamId, hash) in teamAggregateHashes.OrderBy(entry => InputHash.Format(entry.TeamId), StringComparer.Ordinal))
        {
            if (teamId == previousTeamId)
            {
                throw new ArgumentException($"Team {teamId} appears twice.", nameof(teamAggregateHashes));
            }

            lines.Append(InputHash.Format(teamId)).Append(':').Append(hash).Append('\n');
            previousTeamId = teamId;
        }

        return InputHash.Sha256Hex(lines.ToString());
    }
}
