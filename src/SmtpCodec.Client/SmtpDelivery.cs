namespace SmtpCodec.Client;

/// <summary>Why a message was not delivered.</summary>
public enum SmtpFailureReason
{
    /// <summary>Delivered: no failure.</summary>
    None = 0,

    /// <summary>The server refused it for good (5xx) or refused every recipient.</summary>
    Rejected = 1,

    /// <summary>Temporary failures (4xx, network, timeouts) lasted through every attempt.</summary>
    TransientFailuresExhausted = 2,

    /// <summary>
    /// The connection failed after the end of data was sent and before the server's reply (or after part
    /// of the recipients were delivered): the server may have the message, so it is not sent again.
    /// </summary>
    OutcomeUnknown = 3,

    /// <summary>The message cannot be sent as given (a bad address, an extension the server lacks).</summary>
    Invalid = 4,

    /// <summary>The caller cancelled it before it was sent.</summary>
    Cancelled = 5,

    /// <summary>No usable connection could be opened for it (TLS, AUTH or greeting refused for good).</summary>
    ConnectionFailed = 6,
}

/// <summary>The end of one submitted message: accepted with the server's reply, or failed with the reason.</summary>
/// <param name="Reason">None when accepted.</param>
/// <param name="Reply">The server's reply to the end of data, or the refusal; default when there was none.</param>
/// <param name="Attempts">How many times the message was tried.</param>
/// <param name="Error">A sentence saying what went wrong; null when accepted.</param>
public readonly record struct SmtpDelivery(SmtpFailureReason Reason, SmtpResponse Reply, int Attempts, string? Error)
{
    /// <summary>
    /// For an accepted message, the recipients the server refused (with their replies); null when it took
    /// every one. For a failed message, null: <see cref="Reply"/> says why.
    /// </summary>
    public IReadOnlyList<SmtpRecipientResult>? RefusedRecipients { get; init; }

    /// <summary>Whether the server accepted the message (for at least one recipient).</summary>
    public bool Accepted => Reason == SmtpFailureReason.None;
}
