using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// The Bicep CLI restored from NuGet by <c>tools/bicep/bicep.csproj</c> (package Azure.Bicep.CommandLine.linux-x64 at
/// the exact <c>BicepVersion</c> of that project). Restores it on first use; compiles <c>infra/main.bicep</c> once
/// per test run, and evaluates it once per set of parameters (<c>bicep snapshot</c>).
/// </summary>
internal static class BicepCli
{
    private const string PackageId = "azure.bicep.commandline.linux-x64";
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);
    private static readonly Lazy<Task<BicepBuild>> s_mainBuild = new(() => BuildAsync("infra/main.bicep"));
    private static readonly ConcurrentDictionary<string, Lazy<Task<BicepSnapshot>>> s_mainSnapshots = new(StringComparer.Ordinal);

    /// <summary>The parameters main.bicep requires, as azd would pass them (placeholders; nothing is deployed).</summary>
    private const string RequiredParameters = """
        param environmentName = 'test'
        param location = 'swedencentral'
        param postgresEntraAdminObjectId = '00000000-0000-0000-0000-000000000001'
        param postgresEntraAdminName = 'admin@example.com'
        param internalCronSecret = 'cron-secret-placeholder-of-at-least-32-characters'
        param internalAdminSecret = 'admin-secret-placeholder-of-at-least-32-characters'
        """;

    public static string ToolProject => RepositoryFiles.PathOf("tools/bicep/bicep.csproj");

    /// <summary>The version pinned in <c>tools/bicep/bicep.csproj</c>.</summary>
    public static string Version =>
        XDocument.Load(ToolProject).Descendants("BicepVersion").Single().Value.Trim();

    /// <summary><c>bicep build infra/main.bicep --stdout</c>: exit code, ARM JSON and diagnostics.</summary>
    public static Task<BicepBuild> MainBuild => s_mainBuild.Value;

    /// <summary>
    /// <c>bicep snapshot</c> of <c>infra/main.bicep</c> with the required parameters and <paramref name="parameters"/>
    /// (<c>.bicepparam</c> lines such as <c>param vnetEnabled = false</c>): the resources a deployment would create, with
    /// parameters, variables, conditions and loops evaluated and the modules expanded. Values only Azure knows at
    /// deployment time (<c>reference()</c>, <c>environment()</c>, secure parameters) stay expressions.
    /// </summary>
    public static Task<BicepSnapshot> MainSnapshot(string parameters = "") =>
        s_mainSnapshots.GetOrAdd(parameters, key => new Lazy<Task<BicepSnapshot>>(() => SnapshotAsync("infra/main.bicep", key))).Value;

    private static async Task<BicepSnapshot> SnapshotAsync(string relativePath, string parameters)
    {
        var executable = await LocateAsync();
        var directory = Directory.CreateTempSubdirectory("inpsyq-bicep-snapshot-");
        try
        {
            // A .bicepparam file refers to its template by a relative path.
            var template = Path.GetRelativePath(directory.FullName, RepositoryFiles.PathOf(relativePath)).Replace('\\', '/');
            var parametersFile = Path.Combine(directory.FullName, "main.bicepparam");
            await File.WriteAllTextAsync(parametersFile, $"using '{template}'\n{RequiredParameters}\n{parameters}\n");
            var (exitCode, stdout, stderr) = await RepositoryProcess.RunAsync(
                executable,
                [
                    "snapshot", parametersFile, "--mode", "overwrite",
                    "--subscription-id", "00000000-0000-0000-0000-000000000002",
                    "--tenant-id", "00000000-0000-0000-0000-000000000003",
                    "--location", "swedencentral",
                ],
                s_timeout);
            var snapshotFile = Path.Combine(directory.FullName, "main.snapshot.json");
            var snapshot = exitCode == 0 && File.Exists(snapshotFile) ? JsonNode.Parse(await File.ReadAllTextAsync(snapshotFile)) : null;
            return new BicepSnapshot(exitCode, snapshot, $"{stdout}{stderr}");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task<BicepBuild> BuildAsync(string relativePath)
    {
        var executable = await LocateAsync();
        var (exitCode, stdout, stderr) = await RepositoryProcess.RunAsync(executable, ["build", RepositoryFiles.PathOf(relativePath), "--stdout"], s_timeout);
        return new BicepBuild(exitCode, stdout, stderr);
    }

    private static async Task<string> LocateAsync()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException($"tools/bicep restores the linux-x64 Bicep CLI; this is {RuntimeInformation.RuntimeIdentifier}.");
        }

        var executable = ExpectedPath();
        if (executable is null || !File.Exists(executable))
        {
            var (exitCode, stdout, stderr) = await RepositoryProcess.RunAsync("dotnet", ["restore", ToolProject, "-nologo"], s_timeout);
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"dotnet restore tools/bicep/bicep.csproj failed ({exitCode}):\n{stdout}\n{stderr}");
            }

            executable = ExpectedPath();
        }

        return executable is not null && File.Exists(executable)
            ? executable
            : throw new InvalidOperationException($"The Bicep CLI {Version} is not at {executable} after restoring tools/bicep/bicep.csproj.");
    }

    /// <summary>Where restore puts the binary: the global packages folder recorded in the project's assets file.</summary>
    private static string? ExpectedPath()
    {
        var assets = RepositoryFiles.PathOf("tools/bicep/obj/project.assets.json");
        if (!File.Exists(assets))
        {
            return null;
        }

        var packageFolders = JsonNode.Parse(File.ReadAllText(assets))?["packageFolders"]?.AsObject();
        var globalFolder = packageFolders?.Select(folder => folder.Key).FirstOrDefault();
        return globalFolder is null ? null : Path.Combine(globalFolder, PackageId, Version, "tools", "bicep");
    }
}

/// <summary>The outcome of <c>bicep build --stdout</c>: the ARM JSON on stdout, diagnostics on stderr.</summary>
internal sealed record BicepBuild(int ExitCode, string ArmJson, string Diagnostics);

/// <summary>The outcome of <c>bicep snapshot</c>: the predicted resources (null when it failed) and the CLI's output.</summary>
internal sealed record BicepSnapshot(int ExitCode, JsonNode? Snapshot, string Output)
{
    /// <summary>The resources the deployment would create; fails the test when the snapshot failed.</summary>
    public IReadOnlyList<JsonObject> Resources =>
        Snapshot?["predictedResources"]?.AsArray().Select(resource => resource!.AsObject()).ToList()
            ?? throw new InvalidOperationException($"bicep snapshot failed ({ExitCode}):\n{Output}");

    /// <summary>The resources of one type (e.g. <c>Microsoft.Network/privateEndpoints</c>).</summary>
    public IReadOnlyList<JsonObject> OfType(string type) =>
        Resources.Where(resource => string.Equals((string?)resource["type"], type, StringComparison.OrdinalIgnoreCase)).ToList();

    /// <summary>The one resource of a type.</summary>
    public JsonObject Single(string type) => Assert.Single(OfType(type));
}
