using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SmtpCodec.Extensions.Hosting.Tests;

/// <summary>Keeps every log entry (its level, category, text and structured properties) for the tests to read.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    internal sealed record LogEntry(LogLevel Level, string Category, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Properties, Exception? Exception);

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = new Dictionary<string, object?>();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (KeyValuePair<string, object?> pair in pairs)
                {
                    properties[pair.Key] = pair.Value;
                }
            }

            provider._entries.Enqueue(new LogEntry(logLevel, category, eventId, formatter(state, exception), properties, exception));
        }
    }
}
