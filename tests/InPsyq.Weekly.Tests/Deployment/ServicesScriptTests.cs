namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// <c>scripts/services.sh</c> checks its ports before it touches anything: the queue service of Azurite needs a port
/// of its own. (Starting and stopping the services is exercised by every test run that sources their env file.)
/// </summary>
public sealed class ServicesScriptTests
{
    [Theory]
    [InlineData("10300", "10300", "must differ")]
    [InlineData("10300", "55432", "must differ")]
    [InlineData("10300", "queue", "must be a port number")]
    public async Task A_queue_port_that_is_not_a_free_port_of_its_own_is_refused_by_name(string blobPort, string queuePort, string rule)
    {
        var stateDirectory = Path.Combine(Path.GetTempPath(), $"inpsyq-services-{Guid.NewGuid():N}");

        var (exitCode, _, stderr) = await RepositoryProcess.RunAsync("env",
            [$"INPSYQ_STATE_DIR={stateDirectory}", "INPSYQ_PG_PORT=55432", $"INPSYQ_AZURITE_PORT={blobPort}", $"INPSYQ_AZURITE_QUEUE_PORT={queuePort}",
             "bash", "scripts/services.sh", "status"],
            TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        Assert.Contains("INPSYQ_AZURITE_QUEUE_PORT", stderr, StringComparison.Ordinal);
        Assert.Contains(rule, stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(stateDirectory), "The script created its state directory before it checked its settings.");
    }
}
