using System.Runtime.CompilerServices;
using SmtpCodec.Commands;
using SmtpCodec.Data;
using SmtpCodec.Protocol;

namespace SmtpCodec.Client;

/// <summary>
/// Messages back to back for <see cref="SmtpSender"/> (RFC 2920): the pool writes a message's MAIL, RCPT and
/// DATA, and after the 354 its content, its terminator and the next message's commands in one write; with
/// CHUNKING, whole messages as BDAT LAST go out ahead of their replies, up to a window. The connection writes
/// and reads; the pool decides what each reply means for its message. Nothing here allocates per message
/// (reply texts the server repeats are shared), which is what keeps the pool's steady state near zero.
/// </summary>
public sealed partial class SmtpConnection
{
    /// <summary>Most recipients a streamed message may have (larger ones take the general path).</summary>
    internal const int MaxStreamedRecipients = MaxPipelinedRecipients;

    /// <summary>Largest message streamed whole into one write (larger ones go a block at a time).</summary>
    internal const int MaxStreamedMessageBytes = 256 * 1024;

    private SmtpResponse[]? _streamedRecipients;

    /// <summary>Whether the connection can take messages back to back: PIPELINING offered and allowed.</summary>
    internal bool CanStream => IsConnected && _options.UsePipelining && _capabilities.Supports(EhloKeyword.Pipelining);

    /// <summary>Whether streamed messages go as BDAT (CHUNKING offered and asked for) rather than DATA.</summary>
    internal bool StreamsChunks => _options.UseChunking && _capabilities.Supports(EhloKeyword.Chunking);

    /// <summary>Whether LIMITS MAILMAX forbids another transaction on this connection.</summary>
    internal bool TransactionsExhausted => _capabilities.MailMax is { } max && (ulong)_transactionCount >= max;

    /// <summary>Whether a message fits the streamed path: one transaction, held in memory, not too large.</summary>
    internal bool CanStreamMessage(SmtpEnvelope envelope, int length)
    {
        int recipients = envelope.Recipients.Count;
        return CanStream
            && !TransactionsExhausted
            && recipients <= MaxStreamedRecipients
            && (_capabilities.RcptMax is not { } rcptMax || (ulong)recipients <= rcptMax)
            && length <= MaxStreamedMessageBytes
            && (envelope.Body != BodyType.BinaryMime || StreamsChunks);
    }

    /// <summary>
    /// Writes a message's MAIL and RCPTs and, for DATA, the DATA command; for BDAT the whole content as one
    /// BDAT LAST chunk. Nothing is flushed. A message the server cannot take (a bad address, a missing
    /// extension) throws before a byte of it reaches the pipe.
    /// </summary>
    /// <exception cref="ArgumentException">An address or parameter cannot be written.</exception>
    /// <exception cref="SmtpException">The message needs an extension the server lacks, or exceeds its SIZE.</exception>
    internal void WriteStreamedEnvelope(SmtpEnvelope envelope, ReadOnlyMemory<byte> message, bool chunking)
    {
        ReadOnlySpan<byte> content = message.Span;
        MailPlan plan = Plan(envelope, batch: null, content.Length, content.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0);
        BeginCommands();
        try
        {
            WriteMailAndRecipients(plan);
            if (!chunking)
            {
                WriteCommand(SmtpPhase.Data, static (w, _) => SmtpCommandWriter.WriteData(w), 0);
            }

            CommitCommands();
        }
        catch
        {
            AbandonCommands();
            throw;
        }

        _transactionCount++;
        if (chunking)
        {
            var writer = new BdatChunkWriter(normalizeLineBreaks: plan.Body != BodyType.BinaryMime);
            WriteChunk(ref writer, content, last: true);
        }
    }

    /// <summary>After the 354: the content, dot-stuffed, and its terminator (not flushed).</summary>
    internal void WriteStreamedContent(ReadOnlyMemory<byte> message)
    {
        EnsureUsable(SmtpPhase.DataBlock);
        var stuffer = new DotStuffer(rejectLongLines: false);
        StuffBlock(ref stuffer, message.Span, isFinalBlock: true);
    }

    /// <summary>Ends a transaction that will not be completed: the lone terminator after an unused 354, then RSET (not flushed).</summary>
    internal void WriteStreamedAbandon(bool afterDataAccepted)
    {
        if (afterDataAccepted)
        {
            var stuffer = new DotStuffer(rejectLongLines: false);
            StuffBlock(ref stuffer, [], isFinalBlock: true, abandoning: true);
        }

        WriteCommand(SmtpPhase.Other, static (w, _) => SmtpCommandWriter.WriteRset(w), 0);
    }

    /// <summary>
    /// Reads the replies to a streamed message's MAIL, each RCPT and (for DATA) DATA. Stops at a 421, which
    /// closes the connection. The recipients' replies stay available through <see cref="StreamedRecipientReply"/>
    /// until the next call.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<StreamedReplies> ReadStreamedRepliesAsync(int recipients, bool expectData, CancellationToken cancellationToken)
    {
        SmtpResponse[] stored = _streamedRecipients ??= new SmtpResponse[MaxStreamedRecipients];
        SmtpResponse mail = await ReadReplyAsync(SmtpPhase.Mail, cancellationToken).ConfigureAwait(false);
        if (mail.Code == 421)
        {
            return new StreamedReplies(mail, 0, 0, mail, default, Closing: true);
        }

        int accepted = 0;
        int deferred = 0;
        SmtpResponse refusal = default;
        for (int i = 0; i < recipients; i++)
        {
            SmtpResponse reply = await ReadReplyAsync(SmtpPhase.Rcpt, cancellationToken).ConfigureAwait(false);
            stored[i] = reply;
            if (reply.Code == 421)
            {
                return new StreamedReplies(mail, accepted, deferred, reply, default, Closing: true);
            }

            if (reply.Code is 250 or 251)
            {
                accepted++;
            }
            else
            {
                refusal = reply;
                deferred += reply.Code == 452 ? 1 : 0;
            }
        }

        SmtpResponse data = default;
        if (expectData)
        {
            data = await ReadReplyAsync(SmtpPhase.Data, cancellationToken).ConfigureAwait(false);
            if (data.Code == 421)
            {
                return new StreamedReplies(mail, accepted, deferred, data, data, Closing: true);
            }
        }

        return new StreamedReplies(mail, accepted, deferred, refusal, data, Closing: false);
    }

    /// <summary>The reply to the <paramref name="index"/>th RCPT of the message last read by <see cref="ReadStreamedRepliesAsync"/>.</summary>
    internal SmtpResponse StreamedRecipientReply(int index) => _streamedRecipients![index];

    /// <summary>Counts a transaction the server ended (after its end-of-data reply).</summary>
    internal static void CountStreamed(bool delivered, int refusedRecipients)
    {
        (delivered ? SmtpTelemetry.MessagesDelivered : SmtpTelemetry.MessagesFailed).Add(1);
        if (refusedRecipients > 0)
        {
            SmtpTelemetry.RecipientsRejected.Add(refusedRecipients);
        }
    }

    /// <summary>The replies to one streamed message's commands before its content.</summary>
    /// <param name="Mail">The reply to MAIL FROM.</param>
    /// <param name="Accepted">How many RCPTs got 250 or 251.</param>
    /// <param name="Deferred">How many RCPTs got 452 (too many recipients: a further transaction).</param>
    /// <param name="Refusal">The last RCPT refusal, or the 421 that closed the session.</param>
    /// <param name="Data">The reply to DATA (354 to go on), default for BDAT.</param>
    /// <param name="Closing">Whether a 421 came: the connection is closed, later replies will not come.</param>
    internal readonly record struct StreamedReplies(SmtpResponse Mail, int Accepted, int Deferred, SmtpResponse Refusal, SmtpResponse Data, bool Closing)
    {
        /// <summary>Whether the transaction is open with somebody to deliver to (and, for DATA, a 354).</summary>
        public bool Open(bool expectData) => !Closing && Mail.Code == 250 && Accepted > 0 && (!expectData || Data.Code == 354);

        /// <summary>The reply that ended the transaction before its content: MAIL's, the last RCPT refusal, or DATA's.</summary>
        public SmtpResponse FirstFailure => Closing ? Refusal : Mail.Code != 250 ? Mail : Accepted == 0 ? Refusal : Data;

        /// <summary>The phase of <see cref="FirstFailure"/>.</summary>
        public SmtpPhase FailurePhase => Mail.Code != 250 ? SmtpPhase.Mail : Accepted == 0 || Closing ? SmtpPhase.Rcpt : SmtpPhase.Data;
    }
}
