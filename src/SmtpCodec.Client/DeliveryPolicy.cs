using SmtpCodec.Protocol;

namespace SmtpCodec.Client;

/// <summary>What the pool does with a message once a transaction or a failure has spoken.</summary>
internal enum DeliveryVerdict
{
    /// <summary>The server took it: the message ends accepted.</summary>
    Accepted,

    /// <summary>The server refused it for good: the message ends rejected.</summary>
    Rejected,

    /// <summary>It cannot be sent as given (a bad address, an extension the server lacks).</summary>
    Invalid,

    /// <summary>Try again on a later attempt (a temporary refusal or failure); the attempt counts.</summary>
    Retry,

    /// <summary>Try again; the attempt does not count (the server never answered it, or refused it only because of another message).</summary>
    RetryNotCounted,

    /// <summary>The end of data was written and no reply read: the server may have it, so it is never sent again.</summary>
    OutcomeUnknown,

    /// <summary>No usable connection could be opened (TLS, AUTH or greeting refused for good).</summary>
    ConnectionFailed,

    /// <summary>
    /// MAIL was refused for now (4xx): a limit of the session (messages per connection, a rate), not of the
    /// message. The session ends and the message goes again at once on a new connection; the first time
    /// costs no attempt.
    /// </summary>
    SessionLimit,
}

/// <summary>How far a send got before it failed: what the server may hold.</summary>
internal enum SendProgress
{
    /// <summary>No end of data was written: the server cannot have accepted the message.</summary>
    None,

    /// <summary>An end of data (terminator or BDAT LAST) was written and not answered: the server may have it.</summary>
    EndOfDataWritten,

    /// <summary>A transaction was accepted: some recipients have the message.</summary>
    Delivered,
}

/// <summary>
/// The delivery outcome, a pure policy: from a transaction's replies, or from an exception and how far the
/// message got, whether it is accepted, rejected, retried or of unknown outcome. The pool's general and
/// streamed paths and its connection handling all end messages through these two functions.
/// </summary>
internal static class DeliveryPolicy
{
    /// <summary>The verdict on a transaction the server ended with its replies.</summary>
    /// <param name="transaction">The transaction, its replies read.</param>
    /// <param name="behindFailure">Whether it was sent ahead of its replies behind a transaction that failed
    /// (a BDAT window): a 503 to its MAIL is then that transaction's doing, not this message's.</param>
    /// <returns>Accepted, Retry, RetryNotCounted or Rejected.</returns>
    public static DeliveryVerdict FromReplies(SmtpTransaction transaction, bool behindFailure)
    {
        if (transaction.Delivered)
        {
            return DeliveryVerdict.Accepted;
        }

        if (behindFailure && transaction.Mail.Is(SmtpReplyCode.BadSequenceOfCommands))
        {
            return DeliveryVerdict.RetryNotCounted;
        }

        if (transaction.Mail.IsTransientFailure)
        {
            return DeliveryVerdict.SessionLimit;
        }

        return transaction.FirstFailure.IsTransientFailure || transaction.TooManyRecipients ? DeliveryVerdict.Retry : DeliveryVerdict.Rejected;
    }

    /// <summary>The verdict on a message whose send ended with an exception.</summary>
    /// <param name="exception">What was thrown.</param>
    /// <param name="progress">How far the message got.</param>
    /// <param name="tried">Whether the message was the one being sent or answered when the failure came (false for
    /// one queued behind it, whose commands the server never answered).</param>
    /// <returns>The verdict.</returns>
    public static DeliveryVerdict FromException(Exception exception, SendProgress progress, bool tried)
    {
        if (exception is ArgumentException)
        {
            return DeliveryVerdict.Invalid;
        }

        bool replied = exception is SmtpReplyException;
        if (progress == SendProgress.Delivered || (progress == SendProgress.EndOfDataWritten && !replied))
        {
            // The server may hold the message: sending it again could deliver it twice.
            return DeliveryVerdict.OutcomeUnknown;
        }

        if (!tried)
        {
            return DeliveryVerdict.RetryNotCounted;
        }

        if (exception is SmtpReplyException { Phase: SmtpPhase.Mail, Reply: { IsTransientFailure: true, IsClosing: false } })
        {
            return DeliveryVerdict.SessionLimit;
        }

        // Anything but an SmtpException (a stream throwing what it should not) is a failed connection.
        if (exception is not SmtpException smtp || smtp.IsTransient)
        {
            return DeliveryVerdict.Retry;
        }

        return smtp.Phase switch
        {
            SmtpPhase.Connect or SmtpPhase.Greeting or SmtpPhase.Ehlo or SmtpPhase.StartTls or SmtpPhase.Auth => DeliveryVerdict.ConnectionFailed,
            _ when replied => DeliveryVerdict.Rejected,
            SmtpPhase.Mail or SmtpPhase.Rcpt or SmtpPhase.Data => DeliveryVerdict.Invalid,
            _ => DeliveryVerdict.ConnectionFailed,
        };
    }

    /// <summary>The progress of a streamed message's transaction, as <see cref="FromException"/> takes it.</summary>
    /// <param name="transaction">The transaction, or null when none was written.</param>
    /// <returns>EndOfDataWritten while its end of data is unanswered, else None.</returns>
    public static SendProgress ProgressOf(SmtpTransaction? transaction) =>
        transaction is { Progress: TransactionProgress.EndOfDataWritten } ? SendProgress.EndOfDataWritten : SendProgress.None;
}
