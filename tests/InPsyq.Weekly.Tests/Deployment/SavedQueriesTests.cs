using System.Text.RegularExpressions;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// The Kusto queries of <c>docs/queries.md</c> are the saved queries the deployment creates in the Log Analytics
/// workspace: the same text, from the one file under <c>infra/queries</c> that the Bicep loads.
/// </summary>
public sealed partial class SavedQueriesTests
{
    [Fact]
    public async Task Every_query_of_the_docs_is_a_saved_query_of_the_workspace_and_the_reverse()
    {
        var documented = KustoBlock().Matches(File.ReadAllText(RepositoryFiles.PathOf("docs/queries.md")))
            .Select(match => Normalized(match.Groups["query"].Value))
            .ToList();
        var saved = (await BicepCli.MainSnapshot()).OfType("Microsoft.OperationalInsights/workspaces/savedSearches")
            .Select(search => Normalized((string)search["properties"]!["query"]!))
            .ToList();

        Assert.NotEmpty(documented);
        Assert.Equal(documented.Order(StringComparer.Ordinal), saved.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_query_file_is_shown_in_the_docs()
    {
        var docs = Normalized(File.ReadAllText(RepositoryFiles.PathOf("docs/queries.md")));
        var files = Directory.GetFiles(RepositoryFiles.PathOf("infra/queries"), "*.kql");

        Assert.NotEmpty(files);
        Assert.All(files, file => Assert.Contains(Normalized(File.ReadAllText(file)), docs, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_queries_read_the_workspace_based_tables_of_the_runners_telemetry()
    {
        var saved = (await BicepCli.MainSnapshot()).OfType("Microsoft.OperationalInsights/workspaces/savedSearches")
            .Select(search => (string)search["properties"]!["query"]!)
            .ToList();

        Assert.All(saved, query => Assert.Matches(@"^(union )?App(Requests|Dependencies|Traces|Metrics)\b", query.Split('\n').First(line => !line.StartsWith("//", StringComparison.Ordinal))));
        foreach (var name in new[] { "weekly.run", "weekly.team", "inpsyq.llm.tokens", "inpsyq.run.duration", "inpsyq.teams.failed" })
        {
            Assert.Contains(saved, query => query.Contains($"\"{name}\"", StringComparison.Ordinal));
        }
    }

    private static string Normalized(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();

    [GeneratedRegex(@"```kusto\n(?<query>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex KustoBlock();
}
