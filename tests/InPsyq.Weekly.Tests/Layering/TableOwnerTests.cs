using System.Text.RegularExpressions;
using InPsyq.Weekly.Tests.Deployment;

namespace InPsyq.Weekly.Tests.Layering;

/// <summary>
/// One class owns each table's SQL: no source file but the owner's has a statement on the table (its name after a
/// SQL keyword such as <c>from</c>, <c>update</c>, <c>into</c>, <c>join</c> or <c>table</c>). Migrations and tests
/// are not looked at.
/// </summary>
public sealed partial class TableOwnerTests
{
    public static TheoryData<string, string> Owners => new()
    {
        { "weekly_runs", "src/InPsyq.Weekly/Audit/WeeklyRunStore.cs" },
        { "scheduled_job_executions", "src/InPsyq.Weekly/Jobs/JobExecutionLog.cs" },
        { "weekly_work_items", "src/InPsyq.Weekly/WorkItems/WorkItemStore.cs" },
        { "weekly_work_results", "src/InPsyq.Weekly/WorkItems/WorkItemStore.cs" },
        { "weekly_work_outbox", "src/InPsyq.Weekly/WorkItems/WorkItemStore.cs" },
    };

    [Theory]
    [MemberData(nameof(Owners))]
    public void Only_the_owner_has_sql_on_the_table(string table, string owner)
    {
        var statement = new Regex($@"\b(from|update|into|join|table|analyze|truncate)\s+{table}\b", RegexOptions.IgnoreCase);
        var sources = Directory.EnumerateFiles(RepositoryFiles.PathOf("src"), "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(RepositoryFiles.Root, path).Replace('\\', '/'))
            .Where(path => !BuildOutput().IsMatch(path))
            .ToList();

        var withSql = sources.Where(path => statement.IsMatch(File.ReadAllText(RepositoryFiles.PathOf(path)))).Order(StringComparer.Ordinal).ToList();

        Assert.Contains(owner, sources);
        Assert.Equal([owner], withSql);
    }

    [GeneratedRegex("/(bin|obj)/")]
    private static partial Regex BuildOutput();
}
