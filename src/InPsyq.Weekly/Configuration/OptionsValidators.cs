using System.Globalization;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InPsyq.Weekly.Configuration;

/// <summary>Start-up validation: every message names the setting and the rule, never a secret value.</summary>
internal sealed class WeeklyRunOptionsValidator : IValidateOptions<WeeklyRunOptions>
{
    public ValidateOptionsResult Validate(string? name, WeeklyRunOptions options)
    {
        var failures = new List<string>();
        if (!WeeklySchedule.TryParse(options.Schedule, out _))
        {
            failures.Add($"WEEKLY_SCHEDULE '{options.Schedule}' is not a 6-field NCRONTAB expression (e.g. '0 0 2 * * 1').");
        }

        Settings.RequireRange(failures, "WEEKLY_TEAM_PARALLELISM", options.TeamParallelism, 1, 64);
        Settings.RequirePositive(failures, "WEEKLY_TEAM_TIMEOUT_SECONDS", options.TeamTimeoutSeconds);
        Settings.RequirePositive(failures, "WEEKLY_HTTP_DEADLINE_SECONDS", options.HttpDeadlineSeconds);
        Settings.RequirePositive(failures, "WEEKLY_RUN_DEADLINE_SECONDS", options.RunDeadlineSeconds);
        Settings.RequirePositive(failures, "WEEKLY_AUDIT_FINISH_RETRY_SECONDS", options.AuditFinishRetrySeconds);
        if (options.Deadline < TimeSpan.Zero || options.Deadline >= TimeSpan.FromDays(7))
        {
            failures.Add("WEEKLY_DEADLINE must be a time span from 00:00:00 to 6.23:59:59 after the end of the target week.");
        }

        return Settings.Result(failures);
    }
}

internal sealed class LockOptionsValidator(IOptions<WeeklyRunOptions> runOptions, IOptions<WorkOptions> workOptions) : IValidateOptions<LockOptions>
{
    public ValidateOptionsResult Validate(string? name, LockOptions options)
    {
        var failures = new List<string>();
        // Blob leases are 15-60 seconds (or infinite, which a TTL lock must never use).
        Settings.RequireRange(failures, "WEEKLY_LOCK_LEASE_SECONDS", options.LeaseSeconds, 15, 60);
        Settings.RequirePositive(failures, "WEEKLY_LOCK_TTL_SECONDS", options.TtlSeconds);
        Settings.RequirePositive(failures, "REAPER_GRACE_SECONDS", options.ReaperGraceSeconds);
        var run = runOptions.Value;
        if (run.RunDeadlineSeconds >= options.TtlSeconds || run.HttpDeadlineSeconds >= options.TtlSeconds)
        {
            failures.Add("WEEKLY_RUN_DEADLINE_SECONDS and WEEKLY_HTTP_DEADLINE_SECONDS must be below WEEKLY_LOCK_TTL_SECONDS, so a run ends before its lock does.");
        }
        else if (run.RunDeadlineSeconds + workOptions.Value.StallSeconds >= options.TtlSeconds)
        {
            // A run may work until its deadline and then go silent for up to the stall bound before the reaper ends
            // it: until then its lock must not read as expired (locks health, locks release without --force).
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"WEEKLY_LOCK_TTL_SECONDS ({options.TtlSeconds}) must exceed WEEKLY_RUN_DEADLINE_SECONDS + WEEKLY_RUN_STALL_SECONDS ({run.RunDeadlineSeconds} + {workOptions.Value.StallSeconds}), so a lock never expires while its run may still be alive."));
        }

        Settings.RequireContainerName(failures, "BLOB_LOCK_CONTAINER", options.Container);
        return Settings.Result(failures);
    }
}

/// <summary>A timeout of zero would fail every health check and every dependency probe before it is asked.</summary>
internal sealed class HealthOptionsValidator : IValidateOptions<HealthOptions>
{
    public ValidateOptionsResult Validate(string? name, HealthOptions options)
    {
        var failures = new List<string>();
        Settings.RequirePositive(failures, "HEALTH_CHECK_TIMEOUT_SECONDS", options.CheckTimeoutSeconds);
        Settings.RequirePositive(failures, "HEALTH_ABANDONED_WINDOW_SECONDS", options.AbandonedWindowSeconds);
        Settings.RequirePositive(failures, "HEALTH_QUEUE_AGE_DEGRADED_SECONDS", options.QueueAgeDegradedSeconds);
        return Settings.Result(failures);
    }
}

internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var failures = new List<string>();
        Settings.RequireResolved(failures, options);
        if (string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            failures.Add("POSTGRES_CONNECTION_STRING is required.");
        }
        else if (options.PostgresUseEntraAuth && !PlatformReference.IsUnresolved(options.PostgresConnectionString))
        {
            RequireEntraConnectionString(failures, "POSTGRES_CONNECTION_STRING", options.PostgresConnectionString);
        }

        ValidateMigrator(failures, options);

        if (string.IsNullOrWhiteSpace(options.BlobConnectionString) && options.BlobServiceUri is null)
        {
            failures.Add("BLOB_CONNECTION_STRING (or BLOB_SERVICE_URI with a managed identity) is required.");
        }

        Settings.RequireContainerName(failures, "BLOB_ATTRIBUTION_CONTAINER", options.AttributionContainer);
        return Settings.Result(failures);
    }

    /// <summary>
    /// The migrator connection is optional; with Entra auth it logs in as an identity of its own, named by its client id
    /// and as another principal than the runtime's.
    /// </summary>
    private static void ValidateMigrator(List<string> failures, StorageOptions options)
    {
        var clientId = options.PostgresMigratorManagedIdentityClientId;
        if (!options.HasMigratorConnection)
        {
            if (!string.IsNullOrWhiteSpace(clientId))
            {
                failures.Add("POSTGRES_MIGRATOR_MANAGED_IDENTITY_CLIENT_ID is set without POSTGRES_MIGRATOR_CONNECTION_STRING.");
            }

            return;
        }

        if (!options.PostgresUseEntraAuth)
        {
            return;
        }

        if (RequireEntraConnectionString(failures, "POSTGRES_MIGRATOR_CONNECTION_STRING", options.PostgresMigratorConnectionString!) is { } migrator
            && Username(options.PostgresConnectionString) is { } runtime && string.Equals(migrator, runtime, StringComparison.Ordinal))
        {
            failures.Add("POSTGRES_MIGRATOR_CONNECTION_STRING must name another principal than POSTGRES_CONNECTION_STRING (the migrator owns the schema, the runtime does not).");
        }

        if (!Guid.TryParse(clientId, out _))
        {
            failures.Add("POSTGRES_MIGRATOR_MANAGED_IDENTITY_CLIENT_ID (the client id of the migrator's managed identity) is required with POSTGRES_MIGRATOR_CONNECTION_STRING when POSTGRES_USE_ENTRA_AUTH is true.");
        }
    }

    private static string? Username(string? connectionString)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(connectionString).Username;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// With Entra authentication the password is a token fetched at run time: never one in the string. Returns the
    /// principal the string names, or null when it is invalid.
    /// </summary>
    private static string? RequireEntraConnectionString(List<string> failures, string setting, string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            // The message of the exception may quote the string; the string may hold a secret.
            failures.Add($"{setting} is not a valid Npgsql connection string.");
            return null;
        }

        if (string.IsNullOrWhiteSpace(builder.Username))
        {
            failures.Add($"{setting} must name the Entra principal (the managed identity's name) as Username when POSTGRES_USE_ENTRA_AUTH is true.");
        }

        if (!string.IsNullOrEmpty(builder.Password) || !string.IsNullOrEmpty(builder.Passfile))
        {
            failures.Add($"{setting} must not contain a Password or Passfile when POSTGRES_USE_ENTRA_AUTH is true (the password is an Entra access token).");
        }

        return builder.Username;
    }
}

internal sealed class SecretsOptionsValidator : IValidateOptions<SecretsOptions>
{
    public ValidateOptionsResult Validate(string? name, SecretsOptions options)
    {
        var failures = new List<string>();
        Settings.RequireResolved(failures, options);
        RequireSecret(failures, "INTERNAL_CRON_SECRET", options.CronSecret, required: true);
        RequireSecret(failures, "INTERNAL_CRON_SECRET_PREVIOUS", options.PreviousCronSecret, required: false);
        RequireSecret(failures, "INTERNAL_ADMIN_SECRET", options.AdminSecret, required: true);
        RequireSecret(failures, "INTERNAL_ADMIN_SECRET_PREVIOUS", options.PreviousAdminSecret, required: false);
        // No value may open both kinds of endpoint, not even during a rotation.
        if (failures.Count == 0 && options.AcceptedCronSecrets.Intersect(options.AcceptedAdminSecrets, StringComparer.Ordinal).Any())
        {
            failures.Add("INTERNAL_CRON_SECRET and INTERNAL_ADMIN_SECRET must be different (their _PREVIOUS values included).");
        }

        return Settings.Result(failures);
    }

    private static void RequireSecret(List<string> failures, string setting, string? value, bool required)
    {
        if (PlatformReference.IsUnresolved(value))
        {
            // Reported by RequireResolved.
            return;
        }

        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                failures.Add($"{setting} is required.");
            }
        }
        else if (value.Length < SecretsOptions.MinimumLength)
        {
            failures.Add($"{setting} must be at least {SecretsOptions.MinimumLength} characters long.");
        }
    }
}

internal sealed class WorkOptionsValidator(IOptions<WeeklyRunOptions> runOptions) : IValidateOptions<WorkOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkOptions options)
    {
        var failures = new List<string>();
        // Queue names: 3-63 lowercase letters, digits and single hyphens; at most 51 so that "-next-poison" fits (the
        // Functions host's own poison queue of the "-next" queue).
        if (options.Queue is not { Length: >= 3 and <= 51 } queue
            || !queue.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            || queue.StartsWith('-') || queue.EndsWith('-') || queue.Contains("--", StringComparison.Ordinal))
        {
            failures.Add("WEEKLY_WORK_QUEUE must be 3 to 51 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.");
        }

        Settings.RequireRange(failures, "WEEKLY_WORK_ITEM_TEAMS", options.ItemTeams, 1, 500);
        Settings.RequireRange(failures, "WEEKLY_WORK_MAX_ATTEMPTS", options.MaxAttempts, 1, 100);
        Settings.RequireRange(failures, "WEEKLY_WORKERS", options.Workers, 1, 64);
        // The queue counts a visibility timeout in whole seconds, from 1 second to 7 days.
        if (!(options.VisibilitySeconds is >= 1 and <= 604800))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"WEEKLY_WORK_VISIBILITY_SECONDS must be from 1 to 604800 seconds, what a queue message's visibility timeout allows (got {options.VisibilitySeconds})."));
        }

        Settings.RequirePositive(failures, "WEEKLY_WORK_RENEW_SECONDS", options.RenewSeconds);
        if (options.RenewSeconds >= options.VisibilitySeconds)
        {
            failures.Add("WEEKLY_WORK_RENEW_SECONDS must be less than WEEKLY_WORK_VISIBILITY_SECONDS, so a message is renewed before it reappears.");
        }

        Settings.RequirePositive(failures, "WEEKLY_WORK_ITEM_BUDGET_SECONDS", options.ItemBudgetSeconds);
        Settings.RequirePositive(failures, "WEEKLY_WORK_POLL_SECONDS", options.PollSeconds);
        Settings.RequirePositive(failures, "WEEKLY_WORK_OUTBOX_RESEND_SECONDS", options.OutboxResendSeconds);
        Settings.RequirePositive(failures, "WEEKLY_RUN_HEARTBEAT_SECONDS", options.HeartbeatSeconds);
        Settings.RequirePositive(failures, "WEEKLY_RUN_STALL_SECONDS", options.StallSeconds);
        // A live run must never look stalled: not between two heartbeats (one may be late), nor while a crashed
        // worker's message waits out its visibility timeout before another worker takes it.
        if (options.StallSeconds < 2 * options.HeartbeatSeconds || options.StallSeconds <= options.VisibilitySeconds)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"WEEKLY_RUN_STALL_SECONDS ({options.StallSeconds}) must be at least twice WEEKLY_RUN_HEARTBEAT_SECONDS ({options.HeartbeatSeconds}) and more than WEEKLY_WORK_VISIBILITY_SECONDS ({options.VisibilitySeconds}), so a live run never looks stalled."));
        }

        Settings.RequirePositive(failures, "WEEKLY_HTTP_WAIT_SECONDS", options.HttpWaitSeconds);
        if (options.HttpWaitSeconds >= runOptions.Value.HttpDeadlineSeconds)
        {
            failures.Add("WEEKLY_HTTP_WAIT_SECONDS must be below WEEKLY_HTTP_DEADLINE_SECONDS, which bounds the whole request including the wait.");
        }

        return Settings.Result(failures);
    }
}

internal static class Settings
{
    public static void RequirePositive(List<string> failures, string setting, double value)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{setting} must be a positive number of seconds (got {value})."));
        }
    }

    public static void RequireRange(List<string> failures, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{setting} must be between {min} and {max} (got {value})."));
        }
    }

    /// <summary>Blob container names: 3-63 lowercase letters, digits and single hyphens.</summary>
    public static void RequireContainerName(List<string> failures, string setting, string? value)
    {
        var valid = value is { Length: >= 3 and <= 63 }
            && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
            && char.IsAsciiLetterOrDigit(value[0]) && char.IsAsciiLetterOrDigit(value[^1])
            && !value.Contains("--", StringComparison.Ordinal);
        if (!valid)
        {
            failures.Add($"{setting} '{value}' is not a valid blob container name (3-63 lowercase letters, digits, single hyphens).");
        }
    }

    /// <summary>Fails every <see cref="SecretSettingAttribute"/> setting of <paramref name="options"/> that is an unresolved platform reference.</summary>
    public static void RequireResolved(List<string> failures, object options) =>
        failures.AddRange(PlatformReference.UnresolvedSettingsOf(options).Select(PlatformReference.Describe));

    public static ValidateOptionsResult Result(List<string> failures) =>
        failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
}
