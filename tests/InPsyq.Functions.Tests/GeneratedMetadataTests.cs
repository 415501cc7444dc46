using System.Reflection;
using System.Text.RegularExpressions;
using InPsyq.Weekly.Http;
using InPsyq.Weekly.Jobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Functions.Tests;

/// <summary>
/// The functions as the Functions host will index them (the SDK's generated <c>functions.metadata</c>), against the
/// app's classes and against what the library declares: the jobs' schedules and the endpoints' routes.
/// </summary>
public sealed partial class GeneratedMetadataTests
{
    private static readonly IReadOnlyList<GeneratedFunction> s_functions = GeneratedMetadata.Functions;

    [Fact]
    public void Every_generated_function_is_a_Function_method_of_the_app_and_every_Function_method_is_generated()
    {
        var declared = typeof(FunctionsApp).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods().Select(method => (Type: type, Method: method, Function: method.GetCustomAttribute<FunctionAttribute>())))
            .Where(entry => entry.Function is not null)
            .Select(entry => (entry.Function!.Name, $"{entry.Type.FullName}.{entry.Method.Name}"));

        Assert.Equal(declared.Order(), s_functions.Select(function => (function.Name, function.EntryPoint)).Order());
        Assert.All(s_functions, function => Assert.Equal("InPsyq.Functions.dll", function.ScriptFile));
    }

    [Fact]
    public void The_work_items_are_a_queue_function_per_work_queue_named_by_the_work_queue_setting_with_its_identity_connection()
    {
        var queues = s_functions.Where(function => function.Trigger.Type == "queueTrigger").OrderBy(function => function.Name, StringComparer.Ordinal).ToList();

        Assert.Equal(
            [("WorkItem", "%WEEKLY_WORK_QUEUE%", "WEEKLY_QUEUE"), ("WorkItemNext", "%WEEKLY_WORK_QUEUE%-next", "WEEKLY_QUEUE")],
            queues.Select(queue => (queue.Name, queue.Trigger.QueueName, queue.Trigger.Connection)));
        Assert.All(queues, queue => Assert.Empty(queue.OutputTypes));
    }

    [Fact]
    public void Every_function_is_a_timer_an_anonymous_http_function_that_returns_its_response_or_the_queue_function()
    {
        Assert.All(s_functions, function =>
        {
            switch (function.Trigger.Type)
            {
                case "timerTrigger" or "queueTrigger":
                    Assert.Empty(function.OutputTypes);
                    break;
                case "httpTrigger":
                    // The library authenticates each request itself (cron or admin secret), so no function key is asked for.
                    Assert.Equal("Anonymous", function.Trigger.AuthLevel);
                    Assert.Equal(["http"], function.OutputTypes);
                    break;
                default:
                    Assert.Fail($"{function.Name} has a {function.Trigger.Type} trigger.");
                    break;
            }
        });
    }

    [Fact]
    public void Every_timer_function_runs_on_the_schedule_setting_of_its_job()
    {
        var timers = s_functions.Where(function => function.Trigger.Type == "timerTrigger").ToList();
        // Every schedule setting gets a schedule of its own, so a timer bound to another job's setting shows.
        var schedules = timers.Select((timer, i) => (Setting: ScheduleSettingOf(timer), Schedule: $"0 {i} 1 * * *"))
            .ToDictionary(entry => entry.Setting, entry => (string?)entry.Schedule);
        using var host = FunctionsAppHost.Build(schedules);
        var registry = host.Services.GetRequiredService<JobRegistry>();

        Assert.Equal(
            registry.Jobs.Where(job => job.Definition.HasAzureTimer).Select(job => job.Id).Order(),
            timers.Select(timer => JobIdOf(timer.Name)).Order());
        Assert.All(timers, timer => Assert.Equal(schedules[ScheduleSettingOf(timer)], registry.Find(JobIdOf(timer.Name))!.Schedule.Expression));
    }

    [Fact]
    public void Every_http_function_has_the_route_and_methods_the_library_declares()
    {
        var generated = s_functions.Where(function => function.Trigger.Type == "httpTrigger")
            .Select(function => (function.Name, function.Trigger.Route, Methods: string.Join(",", function.Trigger.Methods.Order(StringComparer.Ordinal))));

        Assert.Equal(
            LibraryHttpRoutes().Select(route => (route.Key, (string?)route.Value.Route, route.Value.Methods)).OrderBy(route => route.Key, StringComparer.Ordinal).ToList(),
            generated.OrderBy(function => function.Name, StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// The route table's rows as function name → (route, methods sorted and comma-separated): every route is bound to
    /// every method the table lists, so the library answers the wrong ones with 405 itself, as in the standalone host.
    /// </summary>
    private static Dictionary<string, (string Route, string Methods)> LibraryHttpRoutes() =>
        WeeklyApi.Routes.ToDictionary(
            route => route.Name,
            route => (route.Pattern, string.Join(",", WeeklyApi.BoundMethods.Select(method => method.ToLowerInvariant()).Order(StringComparer.Ordinal))));

    /// <summary>A timer's schedule is an app setting (<c>%NAME%</c>), never a literal: the hosts share one schedule.</summary>
    private static string ScheduleSettingOf(GeneratedFunction timer)
    {
        var reference = SettingReference().Match(timer.Trigger.Schedule ?? string.Empty);
        Assert.True(reference.Success, $"{timer.Name}'s schedule '{timer.Trigger.Schedule}' must be one app setting, %NAME%.");
        return reference.Groups[1].Value;
    }

    /// <summary>A timer function is named after its job: <c>WeeklyRun</c> runs <c>weekly-run</c>.</summary>
    private static string JobIdOf(string function) => JobWordBoundary().Replace(function, "-").ToLowerInvariant();

    [GeneratedRegex("^%([A-Z0-9_]+)%$")]
    private static partial Regex SettingReference();

    [GeneratedRegex("(?<=[a-z0-9])(?=[A-Z])")]
    private static partial Regex JobWordBoundary();
}
