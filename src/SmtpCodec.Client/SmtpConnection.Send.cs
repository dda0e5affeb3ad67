using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using SmtpCodec.Protocol;

namespace SmtpCodec.Client;

/// <summary>Sending a message: one or more transactions until every recipient is settled.</summary>
public sealed partial class SmtpConnection
{
    /// <summary>Most recipients a message may have to take the pool's streamed path (larger ones take the general path).</summary>
    internal const int MaxStreamedRecipients = MaxPipelinedRecipients;

    /// <summary>Largest message the pool streams whole into one write (larger ones go a block at a time).</summary>
    internal const int MaxStreamedMessageBytes = 256 * 1024;

    /// <summary>Sends a message held in memory.</summary>
    /// <param name="envelope">Sender, recipients and parameters.</param>
    /// <param name="message">The message (headers and body), line breaks in any form: they are sent as CRLF.</param>
    /// <param name="cancellationToken">Cancels the transaction and closes the connection.</param>
    /// <returns>The server's reply and each recipient's.</returns>
    /// <exception cref="SmtpReplyException">The server refused the sender, every recipient, DATA, or the message.</exception>
    public Task<SmtpSendResult> SendAsync(SmtpEnvelope envelope, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        SendAsync(envelope, new ReadOnlySequence<byte>(message), cancellationToken);

    /// <summary>Sends a message held in a sequence of buffers.</summary>
    /// <param name="envelope">Sender, recipients and parameters.</param>
    /// <param name="message">The message; line breaks in any form are sent as CRLF.</param>
    /// <param name="cancellationToken">Cancels the transaction and closes the connection.</param>
    /// <returns>The server's reply and what became of each recipient.</returns>
    /// <exception cref="SmtpReplyException">No recipient got the message: the last refusal.</exception>
    public Task<SmtpSendResult> SendAsync(SmtpEnvelope envelope, ReadOnlySequence<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return SendCoreAsync(envelope, new MessageContent(message), measured: true, cancellationToken);
    }

    /// <summary>Sends a message read from a stream, with bounded memory whatever its size.</summary>
    /// <param name="envelope">Sender, recipients and parameters. A seekable stream is read through once before MAIL, for
    /// 8-bit bytes (BODY=8BITMIME then goes by itself) and for its size as one BDAT chunk; for any other, set <see cref="SmtpEnvelope.Body"/> when the content is 8-bit:
    /// undeclared 8-bit bytes fail the send before its end of data, and the message is not delivered.</param>
    /// <param name="message">The message, read to its end (again from its start position when the server
    /// takes the recipients in several transactions, which needs a seekable stream).</param>
    /// <param name="cancellationToken">Cancels the transaction and closes the connection.</param>
    /// <returns>The server's reply and what became of each recipient.</returns>
    /// <exception cref="SmtpReplyException">No recipient got the message: the last refusal.</exception>
    public async Task<SmtpSendResult> SendAsync(SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(message);
        MessageContent content = await MessageContent.FromStreamAsync(message, cancellationToken).ConfigureAwait(false);
        return await SendCoreAsync(envelope, content, measured: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a message read from a pipe to its completion, with bounded memory whatever its size.</summary>
    /// <param name="envelope">Sender, recipients and parameters; set <see cref="SmtpEnvelope.Body"/> when the content is 8-bit:
    /// undeclared 8-bit bytes fail the send before its end of data, and the message is not delivered.</param>
    /// <param name="message">The message; read until the writer completes. It cannot be read twice, so
    /// recipients that need a further transaction (RCPTMAX, 452) fail with a clear reason.</param>
    /// <param name="cancellationToken">Cancels the transaction and closes the connection.</param>
    /// <returns>The server's reply and what became of each recipient.</returns>
    /// <exception cref="SmtpReplyException">No recipient got the message: the last refusal.</exception>
    public Task<SmtpSendResult> SendAsync(SmtpEnvelope envelope, PipeReader message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(message);
        return SendCoreAsync(envelope, new MessageContent(message), measured: true, cancellationToken);
    }

    /// <summary>
    /// Sends a message that a callback writes into the connection as it is sent (a MIME library's <c>WriteTo</c>, a
    /// renderer), with bounded memory whatever its size and no copy of the whole message: the callback runs beside
    /// the transaction once it is open and writes into a buffered stream whose bytes are dot-stuffed (DATA) or
    /// chunked (BDAT) as they come.
    /// </summary>
    /// <param name="envelope">Sender, recipients and parameters. The content is not known before MAIL, so the envelope
    /// declares it: <see cref="SmtpEnvelope.Body"/> when it has 8-bit bytes (undeclared 8-bit bytes fail the send before
    /// its end of data, and the message is not delivered) and <see cref="SmtpEnvelope.SmtpUtf8"/> when its headers are
    /// UTF-8. Read <see cref="SmtpConnection.Capabilities"/> to choose them before calling.</param>
    /// <param name="writeMessage">Writes the message (headers and body; line breaks in any form are sent as CRLF) into
    /// the stream it is given, honouring the token. It is called once per transaction (again when RCPTMAX or a 452
    /// needs a further one) and must write the same bytes each time. When it throws, the transaction is abandoned
    /// before its end of data (nothing is delivered), the connection is closed, and its exception is rethrown.</param>
    /// <param name="cancellationToken">Cancels the transaction and closes the connection.</param>
    /// <returns>The server's reply and what became of each recipient.</returns>
    /// <exception cref="SmtpReplyException">No recipient got the message: the last refusal.</exception>
    public Task<SmtpSendResult> SendAsync(SmtpEnvelope envelope, Func<Stream, CancellationToken, ValueTask> writeMessage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(writeMessage);
        return SendCoreAsync(envelope, new MessageContent(writeMessage), measured: true, cancellationToken);
    }

    /// <summary>
    /// The pool's general path: <see cref="SendAsync(SmtpEnvelope, ReadOnlyMemory{byte}, CancellationToken)"/> without
    /// the message's span and measures, which the pool takes itself over all of the message's attempts.
    /// </summary>
    internal Task<SmtpSendResult> SendForPoolAsync(SmtpEnvelope envelope, ReadOnlyMemory<byte> message) =>
        SendCoreAsync(envelope, new MessageContent(new ReadOnlySequence<byte>(message)), measured: false, CancellationToken.None);

    /// <summary>How far the last <c>SendAsync</c> got; after a failure it tells whether sending again is safe.</summary>
    internal SendProgress LastSendProgress { get; private set; }

    /// <summary>Whether a message fits the pool's streamed path: one transaction, held in memory, not too large.</summary>
    internal bool CanStreamMessage(SmtpEnvelope envelope, int length)
    {
        int recipients = envelope.Recipients.Count;
        return IsConnected
            && _pipelining
            && !TransactionsExhausted
            && recipients <= MaxStreamedRecipients
            && recipients <= MailPlanner.RecipientBatchLimit(_capabilities)
            && length <= MaxStreamedMessageBytes
            && (envelope.Body != BodyType.BinaryMime || _chunking);
    }

    /// <summary>
    /// The pool's streamed path: writes a message's MAIL, RCPTs and (for DATA) DATA as one group, not flushed,
    /// and queues its transaction; with BDAT the caller then writes the content through
    /// <see cref="WriteChunksAsync"/>. A message the server cannot take (a bad address, a missing extension)
    /// throws before a byte of it reaches the pipe.
    /// </summary>
    /// <exception cref="ArgumentException">An address or parameter cannot be written.</exception>
    /// <exception cref="SmtpException">The message needs an extension the server lacks, or exceeds its SIZE.</exception>
    internal SmtpTransaction WriteStreamedEnvelope(SmtpEnvelope envelope, in MessageContent content)
    {
        EnsureUsable(SmtpPhase.Mail);
        MailPlan plan = MailPlanner.Plan(envelope, _capabilities, IsEncrypted, batch: null, content.Length, content.HasEightBitBytes, content.HeadersHaveEightBitBytes);
        SmtpTransaction transaction = NewTransaction(plan);
        try
        {
            WriteCommands(transaction, plan, plan.RecipientCount, data: transaction.UsesData);
        }
        catch
        {
            Release(transaction);
            throw;
        }

        _transactionCount++;
        return transaction;
    }

    /// <summary>
    /// One or more transactions until every recipient is settled: LIMITS RCPTMAX caps each one
    /// (RFC 9422 section 4.2), and recipients refused with 452 (too many recipients, RFC 5321 section
    /// 4.5.3.1.10) move to a further one as long as the previous one delivered to somebody.
    /// </summary>
    private async Task<SmtpSendResult> SendCoreAsync(SmtpEnvelope envelope, MessageContent content, bool measured, CancellationToken cancellationToken)
    {
        long start = measured ? Stopwatch.GetTimestamp() : 0;
        Activity? span = measured ? SmtpTelemetry.StartSend(default, _endpoint, envelope.Recipients.Count, content.Length, detach: false) : null;
        try
        {
            SmtpSendResult result = await SendTransactionsAsync(envelope, content, cancellationToken).ConfigureAwait(false);
            if (measured)
            {
                SmtpTelemetry.MessageEnded(span, _endpoint, start, errorType: null, result.Reply.Code, attempts: 1, error: null);
                SmtpTelemetry.RecipientsRefused(_endpoint, result.DeliveredCount == result.Recipients.Count ? null : result.Recipients);
            }

            return result;
        }
        catch (Exception e)
        {
            // The one rule for "the server may hold it" decides what the caller is told, as it decides the pool's verdict.
            DeliveryVerdict verdict = DeliveryPolicy.FromException(e, LastSendProgress, tried: true);
            if (e is SmtpException smtp && verdict == DeliveryVerdict.OutcomeUnknown)
            {
                smtp.MarkMayHaveBeenDelivered();
            }

            if (measured)
            {
                SmtpTelemetry.MessageEnded(span, _endpoint, start, SmtpTelemetry.ErrorTypeOf(verdict, e), (e as SmtpException)?.ReplyCode ?? 0, attempts: 1, e.Message);
            }

            throw;
        }
    }

    private async Task<SmtpSendResult> SendTransactionsAsync(SmtpEnvelope envelope, MessageContent content, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        LastSendProgress = SendProgress.None;
        var results = new SmtpRecipientResult[envelope.Recipients.Count];
        var pending = new List<int>(results.Length);
        for (int i = 0; i < results.Length; i++)
        {
            pending.Add(i);
        }

        int batchLimit = MailPlanner.RecipientBatchLimit(_capabilities);
        if (batchLimit < results.Length)
        {
            // Every recipient is checked before the first transaction: one that cannot be written, found only
            // when its own batch comes, would fail the message after earlier batches delivered it.
            ValidateCommands(MailPlanner.Plan(envelope, _capabilities, IsEncrypted, batch: null, content.Length, content.HasEightBitBytes, content.HeadersHaveEightBitBytes));
        }

        SmtpResponse delivered = default;
        SmtpPhase lastFailurePhase = SmtpPhase.Rcpt;
        int transactions = 0;
        while (pending.Count > 0)
        {
            if (transactions > 0 && !content.CanRepeat)
            {
                throw new SmtpException(SmtpPhase.Mail, $"{pending.Count} recipient(s) need a further transaction (RCPTMAX or 452) and the message cannot be read again from a pipe or an unseekable stream: pass a seekable stream or the message in memory.", isTransient: false);
            }

            if (TransactionsExhausted)
            {
                throw new SmtpException(SmtpPhase.Mail, $"The server allows {_capabilities.MailMax} transactions per connection (LIMITS MAILMAX) and they are used: send the rest on a new connection.", isTransient: true);
            }

            int[] batch = new int[Math.Min(pending.Count, batchLimit)];
            pending.CopyTo(0, batch, 0, batch.Length);
            pending.RemoveRange(0, batch.Length);
            MailPlan plan = MailPlanner.Plan(envelope, _capabilities, IsEncrypted, batch, content.Length, content.HasEightBitBytes, content.HeadersHaveEightBitBytes);
            SmtpTransaction transaction = await RunTransactionAsync(plan, content, cancellationToken).ConfigureAwait(false);
            transactions++;
            List<int>? deferred = null;
            for (int i = 0; i < batch.Length; i++)
            {
                if (transaction.IsDeferred(i))
                {
                    (deferred ??= []).Add(batch[i]);
                    continue;
                }

                results[batch[i]] = transaction.ResultFor(i, envelope.Recipients[batch[i]]);
            }

            if (deferred is not null)
            {
                pending.InsertRange(0, deferred);
            }

            if (transaction.Delivered)
            {
                delivered = transaction.Final;
            }
            else
            {
                lastFailurePhase = transaction.FailurePhase;
            }

            Release(transaction);
        }

        if (delivered.IsNone)
        {
            SmtpResponse last = results.Last(r => !r.Delivered).Reply;
            throw new SmtpReplyException(lastFailurePhase, last, results.Length == 1 ? "Sending the message" : "Sending the message to every recipient");
        }

        return new SmtpSendResult(delivered, results, transactions, Stopwatch.GetElapsedTime(start));
    }

    /// <summary>One transaction of a send: its commands, its content when it is open, its end; refused ones are reset.</summary>
    private async ValueTask<SmtpTransaction> RunTransactionAsync(MailPlan plan, MessageContent content, CancellationToken cancellationToken)
    {
        SmtpTransaction transaction = await OpenTransactionAsync(plan, cancellationToken).ConfigureAwait(false);
        _transactionCount++;
        try
        {
            if (transaction.IsOpen)
            {
                if (transaction.UsesData)
                {
                    await WriteDataContentAsync(transaction, content, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await WriteChunksAsync(transaction, content, streamed: false, cancellationToken).ConfigureAwait(false);
                }

                // The end of data is written: from this flush on, a failure leaves the message possibly delivered.
                await FlushAsync(SmtpPhase.EndOfData, cancellationToken).ConfigureAwait(false);
                await ReadRepliesAsync(transaction, cancellationToken).ConfigureAwait(false);
            }

            if (transaction.Delivered)
            {
                LastSendProgress = SendProgress.Delivered;
            }
            else
            {
                await AbandonAsync(transaction, cancellationToken).ConfigureAwait(false);
            }

            return transaction;
        }
        catch
        {
            // Whatever failed here with the connection still open (a content stream throwing, a pipe read
            // cancelled) may have left part of the transaction written, the server still in DATA or between
            // chunks: nothing more may go out on this connection, or it would become part of the message.
            if (!_broken)
            {
                _ = Broken(null);
            }

            if (LastSendProgress != SendProgress.Delivered)
            {
                LastSendProgress = DeliveryPolicy.ProgressOf(transaction);
            }

            Release(transaction);
            throw;
        }
    }
}
