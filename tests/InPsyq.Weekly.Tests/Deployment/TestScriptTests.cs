namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// <c>scripts/lib/trx.sh</c>, which turns the TRX files of <c>scripts/test.sh</c> into its last lines: the counts, and
/// each failed test by name with the start of its message (a failure must be findable at the end of a long CI log).
/// </summary>
public sealed class TestScriptTests
{
    private const string Trx = """
        <?xml version="1.0" encoding="utf-8"?>
        <TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
          <Results>
            <UnitTestResult executionId="1" testName="Suite.Passes" outcome="Passed" />
            <UnitTestResult executionId="2" testName="Suite.Fails(kind: &quot;a&quot;)" outcome="Failed">
              <Output>
                <ErrorInfo>
                  <Message>Assert.Equal() Failure
        Expected: 1
        Actual:   2</Message>
                  <StackTrace>at Suite.Fails()</StackTrace>
                </ErrorInfo>
              </Output>
            </UnitTestResult>
            <UnitTestResult executionId="3" testName="Suite.Skipped" outcome="NotExecuted" />
            <UnitTestResult executionId="4" testName="Suite.TimesOut" outcome="Timeout" />
          </Results>
          <ResultSummary outcome="Failed">
            <Counters total="4" executed="3" passed="1" failed="1" error="0" timeout="1" aborted="0" notExecuted="0" />
          </ResultSummary>
        </TestRun>
        """;

    [Fact]
    public async Task The_summary_counts_and_names_every_failed_test_with_the_start_of_its_message()
    {
        var file = Path.Combine(Path.GetTempPath(), $"inpsyq-{Guid.NewGuid():N}.trx");
        await File.WriteAllTextAsync(file, Trx);
        try
        {
            var (exitCode, stdout, stderr) = await RepositoryProcess.RunAsync(
                "bash", ["-c", "source scripts/lib/trx.sh && trx_summarize \"$1\" && trx_failed_tests \"$1\"", "trx-test", file], TimeSpan.FromSeconds(30));

            Assert.True(exitCode == 0, stderr);
            Assert.Equal(
                [
                    "1 passed, 2 failed, 1 skipped",
                    "Suite.Fails(kind: \"a\"): Assert.Equal() Failure Expected: 1 Actual: 2",
                    "Suite.TimesOut",
                ],
                stdout.TrimEnd('\n').Split('\n'));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
