using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Jobs;

/// <summary>A validated job definition with its parsed schedule.</summary>
public sealed record RegisteredJob(JobDefinition Definition, JobSchedule Schedule)
{
    public string Id => Definition.Id;
}

/// <summary>
/// The one list of jobs both hosts run. Built (and so validated) when a host starts: ids are unique lowercase
/// slugs (they appear in URLs), schedules parse, budgets and retry policies are sane. Any problem fails start-up.
/// </summary>
public sealed partial class JobRegistry
{
    private readonly Dictionary<string, RegisteredJob> _jobs = new(StringComparer.Ordinal);

    public JobRegistry(IEnumerable<JobDefinition> definitions)
    {
        var failures = new List<string>();
        foreach (var definition in definitions)
        {
            var problems = ProblemsOf(definition, out var schedule);
            if (problems.Count > 0)
            {
                failures.AddRange(problems.Select(problem => $"Job '{definition.Id}': {problem}."));
            }
            else if (!_jobs.TryAdd(definition.Id, new RegisteredJob(definition, schedule!)))
            {
                failures.Add($"Job '{definition.Id}': the id is already used by another job.");
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(nameof(JobRegistry), typeof(JobRegistry), failures);
        }

        Jobs = [.. _jobs.Values.OrderBy(job => job.Id, StringComparer.Ordinal)];
    }

    /// <summary>Every job, in id order.</summary>
    public IReadOnlyList<RegisteredJob> Jobs { get; }

    public RegisteredJob? Find(string id) => _jobs.GetValueOrDefault(id);

    private static List<string> ProblemsOf(JobDefinition definition, out JobSchedule? schedule)
    {
        var problems = new List<string>();
        if (definition.Id is null || !IdPattern().IsMatch(definition.Id))
        {
            problems.Add("the id must be lowercase letters, digits and hyphens, starting with a letter or digit");
        }

        if (!JobSchedule.TryParse(definition.Schedule, definition.HasAzureTimer, out schedule))
        {
            problems.Add(definition.HasAzureTimer
                ? $"schedule '{definition.Schedule}' is not a 6-field NCRONTAB expression (second minute hour day month weekday), the only form an Azure timer accepts"
                : $"schedule '{definition.Schedule}' is neither a 6- or 5-field cron expression nor an interval in milliseconds");
            schedule = null;
        }

        if (definition.Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            problems.Add("the timeout must be positive");
        }

        if (definition.Retry?.Problem() is { } retryProblem)
        {
            problems.Add($"retry: {retryProblem}");
        }

        return problems;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex IdPattern();
}
