using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Storage;

namespace InPsyq.Weekly.Tests.Layering;

/// <summary>
/// The job engine (<c>InPsyq.Weekly.Jobs</c>) depends on no feature folder: only on itself and the leaf folders of
/// settings, storage, shared primitives, weeks and telemetry. The jobs themselves live in <c>ScheduledJobs</c>.
/// </summary>
public sealed class JobEngineDependencyTests
{
    private const string Engine = "InPsyq.Weekly.Jobs";

    private static readonly string[] s_allowed =
    [
        Engine, "InPsyq.Weekly.Configuration", "InPsyq.Weekly.Storage", "InPsyq.Weekly.Primitives", "InPsyq.Weekly.Weeks", "InPsyq.Weekly.Telemetry",
    ];

    [Fact]
    public void No_engine_type_depends_on_a_feature_namespace()
    {
        var engineTypes = typeof(JobRunner).Assembly.GetTypes()
            .Where(type => type.Namespace == Engine)
            .ToList();

        var violations = engineTypes
            .SelectMany(type => TypeDependencies.Of(type)
                .Where(dependency => dependency.Namespace is { } name && name.StartsWith("InPsyq.Weekly", StringComparison.Ordinal)
                                     && !s_allowed.Contains(name, StringComparer.Ordinal))
                .Select(dependency => $"{Outermost(type).Name} → {dependency.FullName}"))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Contains(typeof(JobRunner), engineTypes);
        Assert.Contains(typeof(JobScheduler), engineTypes);
        Assert.Empty(violations);
    }

    [Fact]
    public void The_scan_sees_dependencies_in_signatures_and_method_bodies()
    {
        // Through its constructor and fields, and through a static call in a method body only.
        Assert.Contains(typeof(ScheduledWeeklyRun), TypeDependencies.Of(typeof(WeeklyRunJob)));
        Assert.Contains(typeof(DependencyProbe), TypeDependencies.Of(typeof(JobRunner)));
        Assert.DoesNotContain(TypeDependencies.Of(typeof(JobRunner)), type => type.Namespace == typeof(WeeklyRunJob).Namespace);
    }

    private static Type Outermost(Type type) => type.DeclaringType is { } declaring ? Outermost(declaring) : type;
}
