namespace SmtpCodec.Client;

/// <summary>What the server said of one recipient.</summary>
/// <param name="Address">The forward path.</param>
/// <param name="Reply">The reply to its RCPT TO.</param>
public readonly record struct SmtpRecipientResult(string Address, SmtpResponse Reply)
{
    /// <summary>Whether the server accepted the recipient (250 or 251).</summary>
    public bool Accepted => Reply.Code is 250 or 251;
}

/// <summary>The outcome of a message the server accepted for at least one recipient.</summary>
public sealed class SmtpSendResult
{
    internal SmtpSendResult(SmtpResponse reply, IReadOnlyList<SmtpRecipientResult> recipients, TimeSpan elapsed)
    {
        Reply = reply;
        Recipients = recipients;
        Elapsed = elapsed;
    }

    /// <summary>The server's reply to the end of data (e.g. <c>250 2.0.0 Ok: queued as ...</c>).</summary>
    public SmtpResponse Reply { get; }

    /// <summary>Every recipient with its RCPT reply; rejected ones were not sent the message.</summary>
    public IReadOnlyList<SmtpRecipientResult> Recipients { get; }

    /// <summary>How many recipients the server accepted.</summary>
    public int AcceptedCount => Recipients.Count(r => r.Accepted);

    /// <summary>From the first command of the transaction to the reply to its end of data.</summary>
    public TimeSpan Elapsed { get; }
}
