using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Http;

/// <summary>
/// Request logs name the path, never the query string, whose values may be secrets (a credential a client put in the
/// URL by mistake) or personal data. ASP.NET Core's hosting diagnostics write every request's full URL, query
/// included, at Information and Debug ("Request starting", "Request finished"); both hosts run that hosting (the
/// Functions worker through its ASP.NET Core integration), so both silence it below Warning. The standalone host logs
/// each request itself instead (method, path, status, duration); on Azure the Functions host logs every execution.
/// </summary>
public static class RequestLogging
{
    public const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>
    /// Adds the silencing rule after the configured ones, once for every provider that has rules of its own too, so
    /// that no <c>Logging:{Provider}:LogLevel</c> setting brings the full URLs back.
    /// </summary>
    public static IServiceCollection AddRequestLogRedaction(this IServiceCollection services) =>
        services.PostConfigure<LoggerFilterOptions>(options =>
        {
            var providers = options.Rules.Select(rule => rule.ProviderName).Append(null).Distinct(StringComparer.Ordinal).ToList();
            foreach (var provider in providers)
            {
                options.Rules.Add(new LoggerFilterRule(provider, HostingDiagnosticsCategory, LogLevel.Warning, filter: null));
            }
        });
}
