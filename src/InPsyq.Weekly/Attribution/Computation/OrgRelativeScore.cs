using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.Attribution.Computation;

/// <summary>A team's value relative to its org that week: <c>z = (team − org mean) / org sample sd</c>.</summary>
public static class OrgRelativeScore
{
    public const int MinimumTeams = 3;

    /// <summary>
    /// Null with fewer than <see cref="MinimumTeams"/> values or a (rounded) org sd of 0.
    /// <paramref name="orgValues"/> are the values of every org team that has one this week, the team itself included.
    /// </summary>
    public static double? Compute(double teamValue, IReadOnlyCollection<double> orgValues)
    {
        if (orgValues.Count < MinimumTeams)
        {
            return null;
        }

        var sd = Descriptive.SampleStandardDeviation(orgValues);
        return Threshold.Round6(sd) == 0 ? null : (teamValue - Descriptive.Mean(orgValues)) / sd;
    }
}
