using System.Reflection;
using InPsyq.Weekly.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace InPsyq.Functions.Tests;

/// <summary>
/// Every function class can be created from the services the Functions app composes, the way the worker creates it
/// for an invocation (<c>ActivatorUtilities</c> over a scope). A service the standalone host registers but the
/// Functions app does not would make a function fail on its first invocation in Azure; here it fails a test.
/// </summary>
public sealed class FunctionActivationTests
{
    [Fact]
    public void Every_function_class_is_activated_from_the_apps_own_services()
    {
        using var host = FunctionsAppHost.Build();

        Assert.NotEmpty(FunctionsAppHost.FunctionClasses);
        Assert.Empty(ActivationFailures(host));
    }

    [Fact]
    public void A_service_the_app_does_not_register_fails_activation_naming_it()
    {
        // As if the job endpoints were registered by the standalone host's composition root only: the API resolves
        // every row's endpoint when it is created, so every HTTP function fails, not just the two job functions.
        using var host = FunctionsAppHost.Build(configure: services => services.RemoveAll<JobEndpoints>());

        var failures = ActivationFailures(host);

        Assert.Equal(HttpFunctionClasses(), failures.Select(failure => failure.Function));
        Assert.All(failures, failure => Assert.Contains(nameof(JobEndpoints), failure.Error, StringComparison.Ordinal));
    }

    private static IEnumerable<string> HttpFunctionClasses() =>
        FunctionsAppHost.FunctionClasses
            .Where(type => type.GetMethods().Any(method => method.GetParameters().Any(parameter => parameter.GetCustomAttribute<HttpTriggerAttribute>() is not null)))
            .Select(type => type.Name);

    private static List<(string Function, string Error)> ActivationFailures(IHost host)
    {
        using var scope = host.Services.CreateScope();
        var failures = new List<(string, string)>();
        foreach (var type in FunctionsAppHost.FunctionClasses)
        {
            try
            {
                ActivatorUtilities.CreateInstance(scope.ServiceProvider, type);
            }
            catch (InvalidOperationException e)
            {
                failures.Add((type.Name, e.Message));
            }
        }

        return failures;
    }
}
