namespace InPsyq.Weekly.Tests.Infrastructure;

/// <summary>The real local services the integration tests run against, started by <c>scripts/services.sh</c>.</summary>
internal static class TestEnvironment
{
    public static string PostgresConnectionString { get; } = Require("POSTGRES_CONNECTION_STRING");

    public static string BlobConnectionString { get; } = Require("BLOB_CONNECTION_STRING");

    /// <summary>Two secrets of the required length, different from each other; only tests ever see them.</summary>
    public const string CronSecret = "test-cron-secret-0123456789abcdef-0123456789";
    public const string AdminSecret = "test-admin-secret-0123456789abcdef-0123456789";

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set. Run the tests with scripts/test.sh, or start the services with scripts/services.sh start and source the env file it prints.");
}
