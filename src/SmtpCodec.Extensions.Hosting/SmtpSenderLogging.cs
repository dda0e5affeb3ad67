using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SmtpCodec.Client;

namespace SmtpCodec.Extensions.Hosting;

/// <summary>
/// Connects a registered sender to ILogger (category <c>SmtpCodec.SmtpSender</c>): the session transcript at Debug,
/// each line with its connection's id and the sender's name as structured properties (AUTH secrets are redacted by
/// the client; message content only with <see cref="SmtpConnectionOptions.TranscriptIncludesContent"/>), and failures
/// to open a connection at Warning (transient) or Error (permanent: the breaker opened). A transcript or failure
/// callback set in the options is kept and called too.
/// </summary>
internal sealed partial class SmtpSenderLogging(ILoggerFactory? loggerFactory = null) : IPostConfigureOptions<SmtpSenderOptions>
{
    /// <summary>The logger category of every sender's lines.</summary>
    public const string Category = "SmtpCodec.SmtpSender";

    // Connection options given to several senders in code are one object: its transcript is wrapped once, or each
    // line would be logged once per sender (the connection id still tells the sessions apart).
    private static readonly ConditionalWeakTable<SmtpConnectionOptions, string> s_wrapped = new();

    private readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(Category);

    public void PostConfigure(string? name, SmtpSenderOptions options)
    {
        string sender = name ?? Options.DefaultName;
        ILogger logger = _logger;
        SmtpConnectionOptions? connection = options.Connection;

        // The transcript costs a string per line: it is set only when Debug is on when the sender is created.
        if (connection is not null && logger.IsEnabled(LogLevel.Debug) && s_wrapped.TryAdd(connection, sender))
        {
            Action<SmtpTranscriptLine>? own = connection.Transcript;
            connection.Transcript = line =>
            {
                own?.Invoke(line);
                LogTranscript(logger, sender, line.ConnectionId, line);
            };
        }

        Action<SmtpConnectionFailure>? ownFailure = options.ConnectionFailed;
        options.ConnectionFailed = failure =>
        {
            ownFailure?.Invoke(failure);
            if (failure.BreakerOpened)
            {
                LogBreakerOpened(logger, sender, failure.Error.Phase, failure.Error.Message);
            }
            else
            {
                LogConnectionFailed(logger, sender, failure.Error.Phase, failure.Error.Message);
            }
        };
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "SMTP {Sender} #{ConnectionId} {Line}")]
    private static partial void LogTranscript(ILogger logger, string sender, long connectionId, SmtpTranscriptLine line);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "SMTP {Sender}: a connection could not be opened ({Phase}); the pool tries again: {Error}")]
    private static partial void LogConnectionFailed(ILogger logger, string sender, SmtpPhase phase, string error);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "SMTP {Sender}: a connection failed for good ({Phase}); the breaker is open and messages fail until it cools down or is reset: {Error}")]
    private static partial void LogBreakerOpened(ILogger logger, string sender, SmtpPhase phase, string error);
}
