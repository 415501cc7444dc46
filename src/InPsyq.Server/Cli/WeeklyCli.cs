using System.CommandLine;
using System.Text.Json;
using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Weeks;
using InPsyq.Weekly.WorkItems;

namespace InPsyq.Server.Cli;

/// <summary>
/// The command line of the standalone host: <c>serve</c>, <c>worker</c>, <c>migrate</c>, <c>seed-demo</c>,
/// <c>run-weekly</c>, <c>backfill</c>, <c>summary</c>, <c>run-job</c>, <c>cancel-job</c>, <c>locks</c>.
/// Exit codes: 0 completed, 1 failed, 2 partial, 3 locked, 4 dependency unavailable, 64 invalid input, 130 interrupted.
/// </summary>
public static class WeeklyCli
{
    public static async Task<int> InvokeAsync(string[] args)
    {
        var root = new RootCommand("InPsyq Weekly: the weekly team-health pipeline (standalone host).")
        {
            ServeCommand(),
            WorkerCommand(),
            MigrateCommand(),
            SeedDemoCommand(),
            RunWeeklyCommand(),
            BackfillCommand(),
            SummaryCommand(),
            RunJobCommand(),
            CancelJobCommand(),
            LocksCommand(),
        };

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync(error.Message);
            }

            return ExitCodes.InvalidInput;
        }

        return await parse.InvokeAsync();
    }

    private static Command ServeCommand()
    {
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on.", DefaultValueFactory = _ => "http://127.0.0.1:7071" };
        var command = new Command("serve", "Serve the HTTP endpoints under /api and run the schedules.") { urls };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var app = ServerApp.Build(["--urls", parse.GetValue(urls)!]);
            await app.RunAsync(cancellationToken);
            return ExitCodes.Completed;
        });
        return command;
    }

    private static Command WorkerCommand()
    {
        var command = new Command("worker", "Work the queue's items for every run (no HTTP, no schedules) until Ctrl-C or SIGTERM.");
        command.SetAction((_, cancellationToken) => CliHost.RunAsync(async (services, _, stopping) =>
        {
            // Stopping takes no new item and leaves the current one's message for its redelivery: a graceful stop.
            await services.GetRequiredService<WorkQueueWorker>().WorkAsync(done: null, stopping);
            return ExitCodes.Completed;
        }, cancellationToken));
        return command;
    }

    private static Command MigrateCommand()
    {
        // The one verb that migrates with a single login too (see CliHost); the host's start creates the containers.
        var command = new Command("migrate", "Apply the database migrations and create the blob containers.");
        command.SetAction((_, cancellationToken) => CliHost.RunAsync((_, _, _) =>
        {
            Console.WriteLine($"Migrations are current (pipeline schema {DatabaseMigrator.LatestPipelineVersion}); blob containers exist.");
            return Task.FromResult(ExitCodes.Completed);
        }, cancellationToken, migrate: true));
        return command;
    }

    private static Command SeedDemoCommand()
    {
        var seed = new Option<int>("--seed") { Description = "Seed of the deterministic demo tenant.", DefaultValueFactory = _ => DemoTenant.DefaultSeed };
        var command = new Command("seed-demo", "Create the demo tenant (orgs, teams, dependencies, 13 weeks of answers).") { seed };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(async (services, time, cancellationToken) =>
        {
            var summary = await services.GetRequiredService<DemoTenantSeeder>()
                .SeedAsync(parse.GetValue(seed), IsoWeek.Containing(time.GetUtcNow()).AddWeeks(-1), cancellationToken);
            Console.WriteLine(summary);
            return ExitCodes.Completed;
        }, cancellationToken));
        return command;
    }

    private static Command RunWeeklyCommand()
    {
        var weekOffset = new Option<string?>("--week-offset") { Description = "0 = current week, -1 = last completed (default), down to -52." };
        var weekStart = new Option<string?>("--week-start") { Description = "A Monday, YYYY-MM-DD." };
        var org = new Option<string?>("--org") { Description = "Only this org (UUID)." };
        var team = new Option<string?>("--team") { Description = "Only this team (UUID; needs --org)." };
        var mode = new Option<string?>("--mode") { Description = "FULL (default), PIPELINE_ONLY or INTERPRETATION_ONLY." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Plan only: no lock, no writes." };
        var force = new Option<bool>("--force") { Description = "Recompute even when input hashes match." };
        var json = new Option<bool>("--json") { Description = "Print the raw JSON report (the progress goes to standard error)." };
        var noWait = new Option<bool>("--no-wait") { Description = "Print the run id once the run is admitted and leave its work to the other hosts (serve, worker, the Functions app)." };
        var command = new Command("run-weekly", "Run the weekly pipeline once, working its items here (other hosts help), and print its report.")
        {
            weekOffset, weekStart, org, team, mode, dryRun, force, json, noWait,
        };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(async (services, time, cancellationToken) =>
        {
            var offsetText = parse.GetValue(weekOffset);
            if (offsetText is not null && !long.TryParse(offsetText, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                return Refuse(Refusal.Invalid("INVALID_TYPE", "--week-offset must be an integer.", "week_offset"));
            }

            var draft = new RunRequestDraft
            {
                WeekOffset = offsetText is null ? null : long.Parse(offsetText, System.Globalization.CultureInfo.InvariantCulture),
                WeekStart = parse.GetValue(weekStart),
                OrgId = parse.GetValue(org),
                TeamId = parse.GetValue(team),
                Mode = parse.GetValue(mode),
                DryRun = parse.GetValue(dryRun),
                Force = parse.GetValue(force),
            };
            var request = RunRequestValidator.Validate(draft, IsoWeek.Containing(time.GetUtcNow()), out var error);
            if (error is not null)
            {
                return Refuse(error);
            }

            var runner = services.GetRequiredService<WeeklyRunner>();
            if (parse.GetValue(noWait))
            {
                var admitted = await runner.RunAsync(request, RunTrigger.Cli, cancellationToken, waitAtMost: TimeSpan.Zero);
                if (admitted.RunningRunId is { } runId)
                {
                    Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(new { RunId = runId, Status = "running" }, WeeklyJson.Options) : $"Run {runId} admitted; the hosts that work the queue run it.");
                    return ExitCodes.Completed;
                }

                return admitted.Refusal is { } noWaitRefusal ? Refuse(noWaitRefusal) : Print(admitted.Report!, parse.GetValue(json));
            }

            var progressConsole = parse.GetValue(json) ? CliConsole.Create(Console.Error, Console.IsErrorRedirected) : CliConsole.StandardOutput();
            var result = request.DryRun
                ? await runner.RunAsync(request, RunTrigger.Cli, cancellationToken)
                : await new ConsoleProgress(progressConsole, time).RunAsync("run", 1, "teams", batch =>
                    runner.RunAsync(request, RunTrigger.Cli, cancellationToken, progress: new RunProgress(batch)));
            if (result.Refusal is { } refusal)
            {
                return Refuse(refusal);
            }

            return Print(result.Report!, parse.GetValue(json));
        }, cancellationToken));
        return command;
    }

    private static int Print(RunReport report, bool json)
    {
        Console.WriteLine(json ? JsonSerializer.Serialize(report, WeeklyJson.Options) : RunReportText.Render(report));
        return ExitCodes.For(report.Status);
    }


    private static Command BackfillCommand()
    {
        var weeks = new Option<int?>("--weeks") { Description = "N weeks ending at --until-offset." };
        var untilOffset = new Option<int>("--until-offset") { Description = "With --weeks: the last week of the range as a week offset (default -1, the last completed week).", DefaultValueFactory = _ => -1 };
        var from = new Option<string?>("--from") { Description = "First week (a Monday, YYYY-MM-DD)." };
        var to = new Option<string?>("--to") { Description = "Last week (a Monday, YYYY-MM-DD)." };
        var mode = new Option<string?>("--mode") { Description = "FULL (default), PIPELINE_ONLY or INTERPRETATION_ONLY." };
        var force = new Option<bool>("--force") { Description = "Recompute even when input hashes match." };
        var command = new Command("backfill", "Run several weeks, oldest to newest, one run (lock, audit row) per week.") { weeks, untilOffset, from, to, mode, force };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(async (services, time, cancellationToken) =>
        {
            var current = IsoWeek.Containing(time.GetUtcNow());
            var first = RunRequestValidator.Validate(new RunRequestDraft { WeekStart = parse.GetValue(from), Mode = parse.GetValue(mode), Force = parse.GetValue(force) }, current, out var error);
            var last = error is null ? RunRequestValidator.Validate(new RunRequestDraft { WeekStart = parse.GetValue(to) }, current, out error) : null;
            var count = parse.GetValue(weeks);
            if (error is null && (count is null) == (parse.GetValue(from) is null || parse.GetValue(to) is null))
            {
                error = Refusal.Invalid("INVALID_RANGE", "Give either --weeks N (1-52) or both --from and --to.", "weeks");
            }
            else if (error is null && count is { } n && (n < 1 || parse.GetValue(untilOffset) is > 0 or < RunRequestValidator.OldestWeekOffset || parse.GetValue(untilOffset) - n + 1 < RunRequestValidator.OldestWeekOffset))
            {
                error = Refusal.Invalid("WEEK_OUT_OF_RANGE", "--weeks and --until-offset must keep every week between 52 weeks ago and the current week.", "weeks");
            }

            if (error is not null)
            {
                return Refuse(error);
            }

            var backfill = services.GetRequiredService<Backfill>();
            var range = count is { } weekCount
                ? Backfill.Between(current.AddWeeks(parse.GetValue(untilOffset) - weekCount + 1), current.AddWeeks(parse.GetValue(untilOffset)))
                : Backfill.Between(first.Week, last!.Week);
            var results = await new ConsoleProgress(CliConsole.StandardOutput(), time).RunAsync("backfill", range.Count, "weeks", batch =>
                backfill.RunAsync(range, first, RunTrigger.Cli, new BackfillProgress(batch), cancellationToken));
            return ExitCodes.Worst(results.Select(result => result.Refusal is { } refusal ? ExitCodes.For(refusal) : ExitCodes.For(result.Report!.Status)));
        }, cancellationToken));
        return command;
    }

    private static Command SummaryCommand()
    {
        var weekStart = new Option<string?>("--week-start") { Description = "A Monday, YYYY-MM-DD (default: the last completed week)." };
        var command = new Command("summary", "Print each team's index states for a week and one team's interpretation.") { weekStart };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(async (services, time, cancellationToken) =>
        {
            var request = RunRequestValidator.Validate(new RunRequestDraft { WeekStart = parse.GetValue(weekStart) }, IsoWeek.Containing(time.GetUtcNow()), out var error);
            if (error is not null)
            {
                return Refuse(error);
            }

            Console.WriteLine(await services.GetRequiredService<WeekSummary>().RenderAsync(request.Week, cancellationToken));
            return ExitCodes.Completed;
        }, cancellationToken));
        return command;
    }

    private static Command RunJobCommand()
    {
        var id = new Argument<string>("id") { Description = "The job: weekly-run, run-reaper, missed-run-watch, retention-cleanup or db-maintenance." };
        var command = new Command("run-job", "Run a scheduled job once, now, and print its result as JSON (tracked like a scheduled run).") { id };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(async (services, _, cancellationToken) =>
        {
            var job = services.GetRequiredService<JobRegistry>().Find(parse.GetValue(id)!);
            if (job is null)
            {
                return Refuse(JobErrors.NotFound);
            }

            var result = await services.GetRequiredService<JobRunner>().RunAsync(job, JobTrigger.Manual, cancellationToken);
            Console.WriteLine(JsonSerializer.Serialize(result, WeeklyJson.Options));
            return ExitCodes.For(result);
        }, cancellationToken));
        return command;
    }

    private static Command CancelJobCommand()
    {
        var id = new Argument<string>("id") { Description = "The job whose running execution to cancel, on whichever host runs it." };
        var command = new Command("cancel-job", "Cancel the running execution of a job, here or on another host; it is recorded cancelled.") { id };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(async (services, _, cancellationToken) =>
        {
            var jobId = parse.GetValue(id)!;
            if (services.GetRequiredService<JobRegistry>().Find(jobId) is null)
            {
                return Refuse(JobErrors.NotFound);
            }

            if (await services.GetRequiredService<JobRunner>().RequestCancelAsync(jobId, cancellationToken) is not { } executionId)
            {
                return Refuse(JobErrors.NotRunning);
            }

            Console.WriteLine(JsonSerializer.Serialize(new JobCancelAccepted(jobId, executionId), WeeklyJson.Options));
            return ExitCodes.Completed;
        }, cancellationToken));
        return command;
    }

    private static Command LocksCommand()
    {
        var listWeek = new Option<string?>("--week") { Description = "Only the locks of this week (a Monday, YYYY-MM-DD)." };
        var list = new Command("list", "List the lock blobs with their holders.") { listWeek };
        list.SetAction((parse, cancellationToken) => CliHost.RunAsync(async (services, time, cancellationToken) =>
        {
            IsoWeek? week = null;
            if (parse.GetValue(listWeek) is { } text)
            {
                week = ParseWeek(text, time, out var error);
                if (error is not null)
                {
                    return Refuse(error);
                }
            }

            var entries = await services.GetRequiredService<LockAdministration>().ListAsync(week, cancellationToken);
            Console.WriteLine(LockText.Render(entries));
            return ExitCodes.Completed;
        }, cancellationToken));

        var releaseWeek = new Option<string>("--week") { Description = "The lock's week (a Monday, YYYY-MM-DD).", Required = true };
        var org = new Option<string?>("--org") { Description = "The org lock (UUID); without it, the whole-week lock." };
        var runId = new Option<string>("--run-id") { Description = "The run that holds the lock, as `locks list` shows it.", Required = true };
        var force = new Option<bool>("--force") { Description = "Release even though the holder is within its TTL (it stops writing at its next renewal)." };
        var release = new Command("release", "Release a lock's lease: refused unless the holder is past its TTL, or --force.") { releaseWeek, org, runId, force };
        release.SetAction((parse, cancellationToken) => CliHost.RunAsync(async (services, time, cancellationToken) =>
        {
            var week = ParseWeek(parse.GetValue(releaseWeek)!, time, out var error);
            Guid? orgId = null;
            if (error is null && parse.GetValue(org) is { } orgText)
            {
                orgId = Guid.TryParseExact(orgText, "D", out var parsed) ? parsed : null;
                error = orgId is null ? Refusal.Invalid("INVALID_UUID", "--org must be a UUID.", "org_id") : null;
            }

            if (error is null && !Guid.TryParseExact(parse.GetValue(runId), "D", out _))
            {
                error = Refusal.Invalid("INVALID_UUID", "--run-id must be a UUID.", "run_id");
            }

            if (error is not null)
            {
                return Refuse(error);
            }

            var key = new LockKey(week!.Value, orgId);
            var result = await services.GetRequiredService<LockAdministration>()
                .ReleaseAsync(key, Guid.Parse(parse.GetValue(runId)!), parse.GetValue(force), cancellationToken);
            Console.WriteLine($"{key.BlobName}: {LockText.Describe(result)}");
            return result.Outcome switch
            {
                LockReleaseOutcome.Released or LockReleaseOutcome.AlreadyFree => ExitCodes.Completed,
                LockReleaseOutcome.NotExpired or LockReleaseOutcome.ChangedHands => ExitCodes.Locked,
                _ => ExitCodes.InvalidInput,
            };
        }, cancellationToken));

        return new Command("locks", "Inspect and release the weekly locks.") { list, release };
    }

    /// <summary>A week given on the command line: a real Monday, no later than the current week.</summary>
    private static IsoWeek? ParseWeek(string text, TimeProvider time, out Refusal? error)
    {
        var request = RunRequestValidator.Validate(new RunRequestDraft { WeekStart = text }, IsoWeek.Containing(time.GetUtcNow()), out error);
        return error is null ? request.Week : null;
    }

    private static int Refuse(Refusal error)
    {
        Console.Error.WriteLine($"{error.Code}: {error.Message}");
        return ExitCodes.For(error);
    }
}
