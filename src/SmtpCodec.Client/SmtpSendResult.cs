namespace SmtpCodec.Client;

/// <summary>What became of one recipient.</summary>
/// <param name="Address">The forward path.</param>
/// <param name="Reply">The reply that decided its fate: the end-of-data reply when the server accepted it,
/// else the refusal (of RCPT TO, or of MAIL FROM or DATA in its transaction).</param>
/// <param name="Delivered">Whether the server took responsibility for the message to this recipient.</param>
public readonly record struct SmtpRecipientResult(string Address, SmtpResponse Reply, bool Delivered);

/// <summary>The outcome of a message the server accepted for at least one recipient.</summary>
public sealed class SmtpSendResult
{
    internal SmtpSendResult(SmtpResponse reply, IReadOnlyList<SmtpRecipientResult> recipients, int transactions, TimeSpan elapsed)
    {
        Reply = reply;
        Recipients = recipients;
        foreach (SmtpRecipientResult recipient in recipients)
        {
            DeliveredCount += recipient.Delivered ? 1 : 0;
        }

        Transactions = transactions;
        Elapsed = elapsed;
    }

    /// <summary>The server's reply to the (last accepted) end of data, e.g. <c>250 2.0.0 Ok: queued as ...</c>.</summary>
    public SmtpResponse Reply { get; }

    /// <summary>Every recipient, in the envelope's order, with what became of it.</summary>
    public IReadOnlyList<SmtpRecipientResult> Recipients { get; }

    /// <summary>How many recipients the message reached.</summary>
    public int DeliveredCount { get; }

    /// <summary>How many mail transactions it took (more than one after LIMITS RCPTMAX or a 452 too-many-recipients).</summary>
    public int Transactions { get; }

    /// <summary>From the first command to the last end-of-data reply.</summary>
    public TimeSpan Elapsed { get; }
}
