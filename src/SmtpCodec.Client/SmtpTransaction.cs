using SmtpCodec.Protocol;

namespace SmtpCodec.Client;

/// <summary>How far a transaction got: what the server may hold if the connection fails now.</summary>
internal enum TransactionProgress
{
    /// <summary>Commands written, no end of data: the server cannot have the message.</summary>
    Open,

    /// <summary>The end of data (the terminator, or BDAT LAST) is written and its reply not read: the server may have the message.</summary>
    EndOfDataWritten,

    /// <summary>The server answered the end of data, or the transaction was refused before it and reset.</summary>
    Ended,
}

/// <summary>
/// One mail transaction on a connection: which commands were written for it, which of their replies were
/// read, and what those replies mean. Every path that sends mail (<see cref="SmtpConnection"/>'s own
/// transactions and the pool's streamed DATA and BDAT) records replies here and asks it the same questions,
/// so that "open", "deferred", "refused", "delivered" and "the server may hold it" are each decided once.
/// Instances are reused by their connection (<see cref="SmtpConnection.Release"/>).
/// </summary>
internal sealed class SmtpTransaction
{
    private SmtpResponse[] _recipients = new SmtpResponse[8];

    /// <summary>The recipients of this transaction.</summary>
    public int RecipientCount { get; private set; }

    /// <summary>Whether the content goes with DATA (a 354 is awaited) rather than BDAT.</summary>
    public bool UsesData { get; private set; }

    /// <summary>Whether the body is BINARYMIME (BDAT chunks keep their line breaks as they are).</summary>
    public bool IsBinary { get; private set; }

    /// <summary>Whether MAIL declared a body that may hold bytes above 0x7F (8BITMIME or BINARYMIME).</summary>
    public bool AllowsEightBit { get; private set; }

    /// <summary>The reply to MAIL FROM; default until read.</summary>
    public SmtpResponse Mail { get; private set; }

    /// <summary>The reply to DATA; default for BDAT or when DATA was not sent.</summary>
    public SmtpResponse Data { get; private set; }

    /// <summary>The reply to the end of data (with BDAT: the first refused chunk, else the last chunk's); default until read.</summary>
    public SmtpResponse Final { get; private set; }

    /// <summary>The 421 that ended the session while this transaction's replies were read; default otherwise.</summary>
    public SmtpResponse Closing { get; private set; }

    /// <summary>How many RCPTs got 250 or 251.</summary>
    public int Accepted { get; private set; }

    /// <summary>How many RCPTs got 452 (too many recipients: RFC 5321 section 4.5.3.1.10).</summary>
    public int Deferred { get; private set; }

    /// <summary>The last RCPT refusal read.</summary>
    public SmtpResponse LastRecipientRefusal { get; private set; }

    /// <summary>What the server may hold.</summary>
    public TransactionProgress Progress { get; private set; }

    /// <summary>Whether its replies were awaited (it was first in the connection's queue) or any arrived.</summary>
    /// <remarks>A transaction queued behind another one that ended the session was never tried.</remarks>
    public bool Tried { get; private set; }

    // What was written and is owed a reply, in the order the server answers (RFC 2920 section 3.1).
    internal bool MailWritten { get; private set; }

    internal bool MailOwed { get; private set; }

    internal int RecipientsWritten { get; private set; }

    internal int RecipientsRead { get; private set; }

    internal bool DataOwed { get; private set; }

    internal bool AbandonOwed { get; private set; }

    /// <summary>Replies owed to the end of data: one for DATA's terminator, one per BDAT chunk.</summary>
    internal int EndOfDataOwed { get; private set; }

    /// <summary>Whether the last piece of content (terminator or BDAT LAST) is written.</summary>
    internal bool LastChunkWritten { get; private set; }

    /// <summary>Whether the connection's queue holds it (its first command reached the pipe).</summary>
    internal bool Queued { get; set; }

    /// <summary>The commands before the content succeeded: MAIL taken, a recipient accepted, and for DATA a 354.</summary>
    public bool IsOpen => Closing.IsNone && Mail.IsSuccess && Accepted > 0 && (!UsesData || Data.Is(SmtpReplyCode.StartMailInput));

    /// <summary>
    /// Whether an end-of-data reply read so far refused the content (with BDAT: a chunk): the transaction has
    /// failed, and no further chunk may be sent (RFC 3030 section 2).
    /// </summary>
    public bool ContentRefused => !Final.IsNone && !Final.Is(SmtpReplyCode.Completed);

    /// <summary>Whether the server took the message (for the accepted recipients).</summary>
    public bool Delivered => Final.Is(SmtpReplyCode.Completed);

    /// <summary>
    /// Every recipient was refused with 452 after MAIL was taken: nobody is refused for good, the server only
    /// wants fewer at a time, so the message is worth another transaction.
    /// </summary>
    public bool TooManyRecipients => Mail.IsSuccess && Accepted == 0 && Deferred > 0;

    /// <summary>
    /// The reply that ended an undelivered transaction: a 421, else MAIL's refusal (it decides the transaction:
    /// what answered the commands pipelined behind it is no recipient's refusal), the last RCPT refusal when
    /// nobody was accepted, DATA's refusal, or the end of data's.
    /// </summary>
    public SmtpResponse FirstFailure => FailureAndPhase().Reply;

    /// <summary>The phase of <see cref="FirstFailure"/>.</summary>
    public SmtpPhase FailurePhase => FailureAndPhase().Phase;

    /// <summary>Whether the recipient was refused only for this transaction (452 while the others got the message).</summary>
    /// <param name="index">The recipient's index in this transaction.</param>
    /// <returns>True when it belongs in a further transaction.</returns>
    public bool IsDeferred(int index) => Delivered && _recipients[index].Is(SmtpReplyCode.InsufficientStorage);

    /// <summary>The reply to one RCPT.</summary>
    /// <param name="index">The recipient's index in this transaction.</param>
    /// <returns>The reply, default when not read.</returns>
    public SmtpResponse RecipientReply(int index) => _recipients[index];

    /// <summary>What became of one recipient: delivered with the end of data's reply, or its refusal.</summary>
    /// <param name="index">The recipient's index in this transaction.</param>
    /// <param name="address">The address to report.</param>
    /// <returns>The recipient's result.</returns>
    public SmtpRecipientResult ResultFor(int index, string address)
    {
        (SmtpResponse failure, SmtpPhase phase) = FailureAndPhase();
        if (phase != SmtpPhase.EndOfData)
        {
            return new SmtpRecipientResult(address, phase == SmtpPhase.Rcpt ? _recipients[index] : failure, Delivered: false);
        }

        bool accepted = _recipients[index].IsRecipientAccepted;
        return new SmtpRecipientResult(address, accepted ? Final : _recipients[index], accepted && Delivered);
    }

    internal void Reset(int recipients, bool usesData, bool isBinary, bool allowsEightBit)
    {
        if (_recipients.Length < recipients)
        {
            _recipients = new SmtpResponse[Math.Max(recipients, _recipients.Length * 2)];
        }
        else
        {
            Array.Clear(_recipients, 0, RecipientCount);
        }

        RecipientCount = recipients;
        UsesData = usesData;
        IsBinary = isBinary;
        AllowsEightBit = allowsEightBit;
        Mail = Data = Final = Closing = LastRecipientRefusal = default;
        Accepted = Deferred = RecipientsWritten = RecipientsRead = EndOfDataOwed = 0;
        MailWritten = MailOwed = DataOwed = AbandonOwed = LastChunkWritten = Tried = Queued = false;
        Progress = TransactionProgress.Open;
    }

    internal void CommandsWritten(bool mail, int recipients, bool data)
    {
        MailOwed |= mail;
        MailWritten |= mail;
        RecipientsWritten += recipients;
        DataOwed |= data;
    }

    /// <summary>A piece of content went out: a BDAT chunk, or DATA's terminator (<paramref name="last"/>).</summary>
    internal void ContentWritten(bool last)
    {
        EndOfDataOwed++;
        if (last)
        {
            LastChunkWritten = true;
            Progress = TransactionProgress.EndOfDataWritten;
        }
    }

    /// <summary>A lone terminator after a 354 nobody will use (RFC 2920 section 3.1): no message can come of it.</summary>
    internal void AbandonWritten() => AbandonOwed = true;

    internal void MarkTried() => Tried = true;

    internal void RecordMail(SmtpResponse reply)
    {
        Mail = reply;
        MailOwed = false;
    }

    internal void RecordRecipient(SmtpResponse reply)
    {
        _recipients[RecipientsRead++] = reply;
        if (reply.IsRecipientAccepted)
        {
            Accepted++;
            return;
        }

        LastRecipientRefusal = reply;
        Deferred += reply.Is(SmtpReplyCode.InsufficientStorage) ? 1 : 0;
    }

    internal void RecordData(SmtpResponse reply)
    {
        Data = reply;
        DataOwed = false;
    }

    internal void RecordEndOfData(SmtpResponse reply)
    {
        EndOfDataOwed--;
        if (Final.IsNone || Final.Is(SmtpReplyCode.Completed))
        {
            Final = reply;
        }

        if (EndOfDataOwed == 0 && LastChunkWritten)
        {
            Progress = TransactionProgress.Ended;
        }
    }

    internal void RecordAbandoned() => AbandonOwed = false;

    internal void RecordClosing(SmtpResponse reply) => Closing = reply;

    /// <summary>The transaction is over on the server (refused and reset): nothing of it can be delivered.</summary>
    internal void MarkEnded() => Progress = TransactionProgress.Ended;

    private (SmtpResponse Reply, SmtpPhase Phase) FailureAndPhase()
    {
        if (!Closing.IsNone)
        {
            return (Closing, Mail.IsNone ? SmtpPhase.Mail : RecipientsRead < RecipientsWritten ? SmtpPhase.Rcpt : LastChunkWritten ? SmtpPhase.EndOfData : SmtpPhase.Data);
        }

        if (!Mail.IsSuccess)
        {
            return (Mail, SmtpPhase.Mail);
        }

        if (Accepted == 0)
        {
            return (LastRecipientRefusal, SmtpPhase.Rcpt);
        }

        if (UsesData && !Data.Is(SmtpReplyCode.StartMailInput) && Final.IsNone)
        {
            return (Data, SmtpPhase.Data);
        }

        return (Final, SmtpPhase.EndOfData);
    }
}
