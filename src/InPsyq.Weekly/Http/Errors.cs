using InPsyq.Weekly.Runs;

namespace InPsyq.Weekly.Http;

internal static class Errors
{
    /// <summary>Deliberately says nothing about which header or secret was wrong.</summary>
    public static ApiError Unauthorized { get; } = new(401, "UNAUTHORIZED", "Authentication required.");
}
