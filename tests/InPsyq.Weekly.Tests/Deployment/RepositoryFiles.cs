namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>Files of the repository the deployment tests read, found from the test assembly's location.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "azure.yaml")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No azure.yaml above {AppContext.BaseDirectory}: the tests must run inside the repository.");
    }
}
