using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace InPsyq.Functions;

/// <summary>Lets an HTTP function return the library's <see cref="IResult"/> as the MVC action result the worker expects.</summary>
internal static class ActionResults
{
    public static async Task<IActionResult> AsActionResultAsync(this Task<IResult> result) => new ResultAction(await result);

    private sealed class ResultAction(IResult result) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
    }
}
