using System.Text.RegularExpressions;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// The fast lane stays fast: <c>tests/InPsyq.Weekly.UnitTests</c> (and the files it links) touches no service and no
/// process, so it runs alone in seconds with nothing started, and it does not depend on this integration project.
/// </summary>
public sealed partial class UnitTestLaneTests
{
    private const string Lane = "tests/InPsyq.Weekly.UnitTests";

    [Fact]
    public void No_unit_test_source_reaches_for_a_service_or_a_process()
    {
        var offenders = LaneSources()
            .SelectMany(path => IntegrationMarker().Matches(File.ReadAllText(RepositoryFiles.PathOf(path))).Select(match => $"{path}: {match.Value}"))
            .ToList();

        Assert.NotEmpty(LaneSources());
        Assert.Empty(offenders);
    }

    [Fact]
    public void The_unit_test_project_references_no_test_project()
    {
        var project = File.ReadAllText(RepositoryFiles.PathOf($"{Lane}/InPsyq.Weekly.UnitTests.csproj"));

        Assert.DoesNotMatch(TestProjectReference(), project);
    }

    /// <summary>The lane's own sources and the files its project links in from elsewhere.</summary>
    private static List<string> LaneSources()
    {
        var own = Directory.EnumerateFiles(RepositoryFiles.PathOf(Lane), "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(RepositoryFiles.Root, path).Replace('\\', '/'))
            .Where(path => !path.Contains("/obj/", StringComparison.Ordinal) && !path.Contains("/bin/", StringComparison.Ordinal));
        var linked = LinkedFile().Matches(File.ReadAllText(RepositoryFiles.PathOf($"{Lane}/InPsyq.Weekly.UnitTests.csproj")))
            .Select(match => Path.GetRelativePath(RepositoryFiles.Root, Path.GetFullPath(Path.Combine(RepositoryFiles.PathOf(Lane), match.Groups[1].Value))).Replace('\\', '/'));
        return [.. own.Concat(linked).Order(StringComparer.Ordinal)];
    }

    [GeneratedRegex(@"\b(TestEnvironment|IntegrationFixture|RunningServer|TestDatabases|NpgsqlDataSource|NpgsqlConnection|BlobServiceClient|BlobContainerClient|QueueClient|Process\.Start|ProcessStartInfo|POSTGRES_CONNECTION_STRING|BLOB_CONNECTION_STRING|HttpListener|WebApplication)\b")]
    private static partial Regex IntegrationMarker();

    [GeneratedRegex(@"<ProjectReference\s+Include=""[^""]*\.Tests\.csproj""")]
    private static partial Regex TestProjectReference();

    [GeneratedRegex(@"<Compile\s+Include=""([^""]+)""")]
    private static partial Regex LinkedFile();
}
