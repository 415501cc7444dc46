using InPsyq.Weekly.Runs;
using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Http;

public static class Errors
{
    /// <summary>405 with the contract's error body and an <c>Allow</c> header.</summary>
    public static IResult MethodNotAllowed(string allowed) =>
        JsonResponse.Error(new ApiError(405, "METHOD_NOT_ALLOWED", $"This endpoint only accepts {allowed}.")).WithHeader("Allow", allowed);

    /// <summary>Deliberately says nothing about which header or secret was wrong.</summary>
    internal static ApiError Unauthorized { get; } = new(401, "UNAUTHORIZED", "Authentication required.");
}
