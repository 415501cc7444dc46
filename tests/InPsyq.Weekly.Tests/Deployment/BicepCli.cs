using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// The Bicep CLI restored from NuGet by <c>tools/bicep/bicep.csproj</c> (package Azure.Bicep.CommandLine.linux-x64 at
/// the exact <c>BicepVersion</c> of that project). Restores it on first use; compiles <c>infra/main.bicep</c> once
/// per test run.
/// </summary>
internal static class BicepCli
{
    private const string PackageId = "azure.bicep.commandline.linux-x64";
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);
    private static readonly Lazy<Task<BicepBuild>> s_mainBuild = new(() => BuildAsync("infra/main.bicep"));

    public static string ToolProject => RepositoryFiles.PathOf("tools/bicep/bicep.csproj");

    /// <summary>The version pinned in <c>tools/bicep/bicep.csproj</c>.</summary>
    public static string Version =>
        XDocument.Load(ToolProject).Descendants("BicepVersion").Single().Value.Trim();

    /// <summary><c>bicep build infra/main.bicep --stdout</c>: exit code, ARM JSON and diagnostics.</summary>
    public static Task<BicepBuild> MainBuild => s_mainBuild.Value;

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
