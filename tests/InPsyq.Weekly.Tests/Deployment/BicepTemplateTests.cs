namespace InPsyq.Weekly.Tests.Deployment;

/// <summary><c>infra/main.bicep</c> compiles with the pinned Bicep CLI, with no error and no linter warning.</summary>
public sealed class BicepTemplateTests
{
    [Fact]
    public async Task Main_bicep_compiles_without_errors_or_warnings()
    {
        var build = await BicepCli.MainBuild;

        Assert.True(build.ExitCode == 0, $"bicep {BicepCli.Version} build infra/main.bicep exited with {build.ExitCode}:\n{build.Diagnostics}");
        Assert.True(string.IsNullOrWhiteSpace(build.Diagnostics), $"bicep {BicepCli.Version} build infra/main.bicep reported diagnostics (warnings fail the build too):\n{build.Diagnostics}");
        Assert.StartsWith("{", build.ArmJson.TrimStart(), StringComparison.Ordinal);
    }
}
