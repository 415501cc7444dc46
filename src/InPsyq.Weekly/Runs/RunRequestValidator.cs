using System.Globalization;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Runs;

/// <summary>
/// The field rules of the run request, shared by the HTTP body and the command line. Rules are checked in the
/// order of the contract, so the same bad request always gets the same code.
/// </summary>
public static class RunRequestValidator
{
    public const int OldestWeekOffset = -52;
    public const int DefaultWeekOffset = -1;

    public static RunRequest Validate(RunRequestDraft draft, IsoWeek currentWeek, out Refusal? error)
    {
        error = Check(draft, currentWeek, out var request);
        return request!;
    }

    private static Refusal? Check(RunRequestDraft draft, IsoWeek currentWeek, out RunRequest? request)
    {
        request = null;
        var oldest = currentWeek.AddWeeks(OldestWeekOffset);

        IsoWeek? explicitWeek = null;
        if (draft.WeekStart is { } weekStartText)
        {
            if (!DateOnly.TryParseExact(weekStartText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                return Refusal.Invalid("INVALID_DATE", "week_start must be a real calendar date written YYYY-MM-DD.", "week_start");
            }

            if (!IsoWeek.IsMonday(date))
            {
                return Refusal.Invalid("NOT_A_MONDAY", $"week_start {weekStartText} is a {date.DayOfWeek}; weeks are named by their Monday.", "week_start");
            }

            var week = IsoWeek.FromMonday(date);
            if (week > currentWeek)
            {
                return Refusal.Invalid("FUTURE_WEEK", $"week_start {weekStartText} is after the current week ({currentWeek}).", "week_start");
            }

            if (week < oldest)
            {
                return Refusal.Invalid("WEEK_OUT_OF_RANGE", $"week_start {weekStartText} is more than 52 weeks ago; the oldest week that can be run is {oldest}.", "week_start");
            }

            explicitWeek = week;
        }

        if (draft.WeekOffset is { } offset)
        {
            if (offset > 0)
            {
                return Refusal.Invalid("FUTURE_WEEK", "week_offset must not be positive: 0 is the current week, -1 the last completed one.", "week_offset");
            }

            if (offset < OldestWeekOffset)
            {
                return Refusal.Invalid("WEEK_OUT_OF_RANGE", "week_offset must be between -52 and 0.", "week_offset");
            }
        }

        if (explicitWeek is not null && draft.WeekOffset is not null)
        {
            return Refusal.Invalid("AMBIGUOUS_WEEK", "Give either week_start or week_offset, not both.", "week_offset");
        }

        var mode = RunMode.Full;
        if (draft.Mode is { } modeText && !RunNames.TryParseMode(modeText, out mode))
        {
            return Refusal.Invalid("INVALID_MODE", "mode must be FULL, PIPELINE_ONLY or INTERPRETATION_ONLY (exact case).", "mode");
        }

        if (!TryParseUuid(draft.OrgId, out var orgId))
        {
            return Refusal.Invalid("INVALID_UUID", "org_id must be a UUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301.", "org_id");
        }

        if (!TryParseUuid(draft.TeamId, out var teamId))
        {
            return Refusal.Invalid("INVALID_UUID", "team_id must be a UUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301.", "team_id");
        }

        if (teamId is not null && orgId is null)
        {
            return Refusal.Invalid("ORG_REQUIRED", "team_id requires the org_id of the team's organisation.", "org_id");
        }

        var target = explicitWeek ?? currentWeek.AddWeeks((int)(draft.WeekOffset ?? DefaultWeekOffset));
        request = new RunRequest(target, orgId, teamId, mode, draft.DryRun ?? false, draft.Force ?? false);
        return null;
    }

    private static bool TryParseUuid(string? text, out Guid? value)
    {
        value = null;
        if (text is null)
        {
            return true;
        }

        if (!Guid.TryParseExact(text, "D", out var parsed))
        {
            return false;
        }

        value = parsed;
        return true;
    }
}
