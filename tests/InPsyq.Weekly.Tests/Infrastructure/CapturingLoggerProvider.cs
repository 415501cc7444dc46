using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Tests.Infrastructure;

/// <summary>One captured log line with the values of the scopes it was logged in.</summary>
public sealed record CapturedLog(LogLevel Level, string Category, string Message, IReadOnlyDictionary<string, object?> ScopeValues);

/// <summary>
/// Keeps every formatted log line (with its exception) so tests can assert what was, and was not, logged; and every
/// entry with the key-value pairs of its log scopes, so tests can assert which scope a line carried.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<CapturedLog> _entries = new();
    private IExternalScopeProvider? _scopes;

    public IReadOnlyCollection<string> Lines => _lines;

    public IReadOnlyCollection<CapturedLog> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(string category, CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            var scopeValues = new Dictionary<string, object?>(StringComparer.Ordinal);
            owner._scopes?.ForEachScope(
                (scope, values) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object>> pairs)
                    {
                        foreach (var (key, value) in pairs)
                        {
                            values[key] = value;
                        }
                    }
                },
                scopeValues);
            owner._lines.Enqueue($"{logLevel} {category}: {message} {exception}");
            owner._entries.Enqueue(new CapturedLog(logLevel, category, message, scopeValues));
        }
    }
}
