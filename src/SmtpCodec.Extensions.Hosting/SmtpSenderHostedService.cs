using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmtpCodec.Client;

namespace SmtpCodec.Extensions.Hosting;

/// <summary>
/// Runs one registered sender with the host: at start it creates the sender and opens its connections (a failure is
/// logged and the pool connects on the first messages, unless <see cref="SmtpSenderHostingOptions.RequireConnectionsAtStart"/>);
/// at stop it sends what is queued until the host's shutdown timeout, then fails the rest
/// (<see cref="SmtpSender.StopAsync(CancellationToken)"/>), so every message ends.
/// </summary>
internal sealed partial class SmtpSenderHostedService(string name, Func<SmtpSender> resolve, SmtpSenderHostingOptions options, ILogger logger) : IHostedService
{
    private SmtpSender? _sender;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        SmtpSender sender = _sender = resolve();
        if (!options.OpenConnectionsAtStart)
        {
            return;
        }

        try
        {
            await sender.OpenConnectionsAsync(cancellationToken).ConfigureAwait(false);
            LogOpened(logger, name, sender.OpenConnections);
        }
        catch (Exception e) when (!options.RequireConnectionsAtStart && e is not OperationCanceledException)
        {
            LogOpenFailed(logger, name, e.Message);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_sender is not { } sender)
        {
            return;
        }

        long accepted = sender.AcceptedCount;
        long failed = sender.FailedCount;
        await sender.StopAsync(cancellationToken).ConfigureAwait(false);
        LogStopped(logger, name, sender.AcceptedCount - accepted, sender.FailedCount - failed, cancellationToken.IsCancellationRequested);
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "SMTP {Sender}: {Open} connections open at start")]
    private static partial void LogOpened(ILogger logger, string sender, int open);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "SMTP {Sender}: the connections could not be opened at start; the pool connects on the first messages: {Error}")]
    private static partial void LogOpenFailed(ILogger logger, string sender, string error);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "SMTP {Sender} stopped: {Accepted} accepted and {Failed} failed while stopping (shutdown deadline reached: {DeadlineReached})")]
    private static partial void LogStopped(ILogger logger, string sender, long accepted, long failed, bool deadlineReached);
}
