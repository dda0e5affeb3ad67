using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using SmtpCodec.Commands;
using SmtpCodec.Data;
using SmtpCodec.Protocol;

namespace SmtpCodec.Client;

/// <summary>Mail transactions: MAIL, RCPT, DATA and the content, pipelined when the server allows it.</summary>
public sealed partial class SmtpConnection
{
    // Commands written before their replies are read: bounded so that thousands of recipients cannot
    // fill both directions' TCP windows while neither side reads (RFC 2920 section 3.1).
    private const int MaxPipelinedRecipients = 100;

    // Content goes into the pipe a block at a time, each flushed under the data-block timeout.
    private const int ContentBlock = 32 * 1024;

    // BDAT chunk size, and how many chunks may await their replies at once when pipelining.
    private const int ChunkSize = 64 * 1024;
    private const int MaxChunksInFlight = 8;

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
        return SendCoreAsync(envelope, new MessageContent(message), cancellationToken);
    }

    /// <summary>Sends a message read from a stream, with bounded memory whatever its size.</summary>
    /// <param name="envelope">Sender, recipients and parameters; set <see cref="SmtpEnvelope.Body"/> when the content is 8-bit.</param>
    /// <param name="message">The message, read to its end (again from its start position when the server
    /// takes the recipients in several transactions, which needs a seekable stream).</param>
    /// <param name="cancellationToken">Cancels the transaction and closes the connection.</param>
    /// <returns>The server's reply and what became of each recipient.</returns>
    /// <exception cref="SmtpReplyException">No recipient got the message: the last refusal.</exception>
    public Task<SmtpSendResult> SendAsync(SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(message);
        return SendCoreAsync(envelope, new MessageContent(message), cancellationToken);
    }

    /// <summary>Sends a message read from a pipe to its completion, with bounded memory whatever its size.</summary>
    /// <param name="envelope">Sender, recipients and parameters; set <see cref="SmtpEnvelope.Body"/> when the content is 8-bit.</param>
    /// <param name="message">The message; read until the writer completes. It cannot be read twice, so
    /// recipients that need a further transaction (RCPTMAX, 452) fail with a clear reason.</param>
    /// <param name="cancellationToken">Cancels the transaction and closes the connection.</param>
    /// <returns>The server's reply and what became of each recipient.</returns>
    /// <exception cref="SmtpReplyException">No recipient got the message: the last refusal.</exception>
    public Task<SmtpSendResult> SendAsync(SmtpEnvelope envelope, System.IO.Pipelines.PipeReader message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(message);
        return SendCoreAsync(envelope, new MessageContent(message), cancellationToken);
    }

    /// <summary>
    /// One or more transactions until every recipient is settled: LIMITS RCPTMAX caps each one
    /// (RFC 9422 section 4.2), and recipients refused with 452 (too many recipients, RFC 5321 section
    /// 4.5.3.1.10) move to a further one as long as the previous one delivered to somebody.
    /// </summary>
    private async Task<SmtpSendResult> SendCoreAsync(SmtpEnvelope envelope, MessageContent content, CancellationToken cancellationToken)
    {
        using Activity? activity = SmtpTelemetry.ActivitySource.StartActivity("smtp.send", ActivityKind.Client);
        activity?.SetTag("smtp.recipients", envelope.Recipients.Count);
        try
        {
            SmtpSendResult result = await SendTransactionsAsync(envelope, content, cancellationToken).ConfigureAwait(false);
            SmtpTelemetry.MessagesDelivered.Add(1);
            SmtpTelemetry.SendDuration.Record(result.Elapsed.TotalSeconds);
            int rejected = result.Recipients.Count - result.DeliveredCount;
            if (rejected > 0)
            {
                SmtpTelemetry.RecipientsRejected.Add(rejected);
            }

            activity?.SetTag("smtp.reply", result.Reply.Code);
            return result;
        }
        catch (Exception e)
        {
            SmtpTelemetry.MessagesFailed.Add(1);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
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

        int batchLimit = _capabilities.RcptMax is > 0 and var max ? (int)Math.Min(max, int.MaxValue) : int.MaxValue;
        if (batchLimit < results.Length)
        {
            // Every recipient is checked before the first transaction: one that cannot be written, found only
            // when its own batch comes, would fail the message after earlier batches delivered it.
            ValidateCommands(Plan(envelope, batch: null, content.Length, content.HasEightBitBytes));
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

            if (_capabilities.MailMax is { } mailMax && (ulong)_transactionCount >= mailMax)
            {
                throw new SmtpException(SmtpPhase.Mail, $"The server allows {mailMax} transactions per connection (LIMITS MAILMAX) and they are used: send the rest on a new connection.", isTransient: true);
            }

            int[] batch = new int[Math.Min(pending.Count, batchLimit)];
            pending.CopyTo(0, batch, 0, batch.Length);
            pending.RemoveRange(0, batch.Length);
            MailPlan plan = Plan(envelope, batch, content.Length, content.HasEightBitBytes);
            bool chunking = plan.Body == BodyType.BinaryMime || (_options.UseChunking && _capabilities.Supports(EhloKeyword.Chunking));
            TransactionReplies replies = await OpenTransactionAsync(plan, useData: !chunking, cancellationToken).ConfigureAwait(false);
            transactions++;
            _transactionCount++;

            int accepted = CountAccepted(replies.Recipients);
            List<int>? deferred = null;
            SmtpResponse refusal = default;
            SmtpPhase refusalPhase = SmtpPhase.Rcpt;
            if (replies.Mail.Code != 250)
            {
                (refusal, refusalPhase) = (replies.Mail, SmtpPhase.Mail);
            }
            else if (accepted == 0)
            {
                (refusal, refusalPhase) = (replies.Recipients[^1], SmtpPhase.Rcpt);
            }
            else if (!chunking && replies.Data.Code != 354)
            {
                (refusal, refusalPhase) = (replies.Data, SmtpPhase.Data);
            }

            if (refusal.Code != 0)
            {
                await AbandonDataAsync(replies.Data, cancellationToken).ConfigureAwait(false);
                await ResetAfterRefusalAsync(refusal, refusalPhase, cancellationToken).ConfigureAwait(false);
                for (int i = 0; i < batch.Length; i++)
                {
                    SmtpResponse own = refusalPhase == SmtpPhase.Rcpt ? replies.Recipients[i] : refusal;
                    results[batch[i]] = new SmtpRecipientResult(envelope.Recipients[batch[i]], own, Delivered: false);
                }

                lastFailurePhase = refusalPhase;
                continue;
            }

            SmtpResponse final;
            if (chunking)
            {
                final = await content.WriteChunksAsync(this, normalize: plan.Body != BodyType.BinaryMime, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await content.WriteAsync(this, cancellationToken).ConfigureAwait(false);
                final = await ReadReplyAsync(SmtpPhase.EndOfData, cancellationToken).ConfigureAwait(false);
            }

            bool sent = final.Code == 250;
            for (int i = 0; i < batch.Length; i++)
            {
                SmtpResponse rcpt = replies.Recipients[i];
                if (rcpt.Code == 452 && sent)
                {
                    // RFC 5321 section 4.5.3.1.10: not a failure, only "not in this transaction".
                    (deferred ??= []).Add(batch[i]);
                    continue;
                }

                bool ok = rcpt.Code is 250 or 251;
                results[batch[i]] = new SmtpRecipientResult(envelope.Recipients[batch[i]], ok ? final : rcpt, ok && sent);
            }

            if (deferred is not null)
            {
                pending.InsertRange(0, deferred);
            }

            if (sent)
            {
                delivered = final;
                LastSendProgress = SendProgress.Delivered;
            }
            else
            {
                // The server answered the end of data with a refusal, so it does not hold the message: a
                // connection lost from here on (RSET) leaves nothing unknown and sending again is safe.
                if (LastSendProgress == SendProgress.EndOfDataWritten)
                {
                    LastSendProgress = SendProgress.None;
                }

                lastFailurePhase = SmtpPhase.EndOfData;
                await ResetAfterRefusalAsync(final, SmtpPhase.EndOfData, cancellationToken).ConfigureAwait(false);
            }
        }

        if (delivered.Code == 0)
        {
            SmtpResponse last = results.Last(r => !r.Delivered).Reply;
            throw new SmtpReplyException(lastFailurePhase, last, results.Length == 1 ? "Sending the message" : "Sending the message to every recipient");
        }

        return new SmtpSendResult(delivered, results, transactions, Stopwatch.GetElapsedTime(start));
    }

    /// <summary>MAIL, RCPT and DATA, pipelined in groups when offered; every reply is read and kept.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TransactionReplies> OpenTransactionAsync(MailPlan plan, bool useData, CancellationToken cancellationToken)
    {
        bool pipelining = _options.UsePipelining && _capabilities.Supports(EhloKeyword.Pipelining);
        var recipients = new SmtpResponse[plan.RecipientCount];

        // Every command is checked before the first is written: a bad address found after MAIL went out
        // would leave a transaction open on the server and shift every later reply by one.
        ValidateCommands(plan);
        WriteCommand(SmtpPhase.Mail, static (w, p) => SmtpCommandWriter.WriteMailFrom(w, p.From, p.Parameters()), plan);
        SmtpResponse mail = default;
        if (!pipelining)
        {
            mail = await FlushAndReadAsync(SmtpPhase.Mail, cancellationToken).ConfigureAwait(false);
            if (mail.Code != 250)
            {
                return new TransactionReplies(mail, recipients, default);
            }
        }

        int groupSize = pipelining ? MaxPipelinedRecipients : 1;
        for (int groupStart = 0; groupStart < recipients.Length; groupStart += groupSize)
        {
            int groupEnd = Math.Min(recipients.Length, groupStart + groupSize);
            for (int i = groupStart; i < groupEnd; i++)
            {
                WriteCommand(SmtpPhase.Rcpt, static (w, r) => SmtpCommandWriter.WriteRcptTo(w, r.Address, r.Plan.RecipientParameters()), (Address: plan.RecipientAt(i), Plan: plan));
            }

            if (pipelining && useData && groupEnd == recipients.Length)
            {
                WriteCommand(SmtpPhase.Data, static (w, _) => SmtpCommandWriter.WriteData(w), 0);
            }

            await FlushAsync(SmtpPhase.Rcpt, cancellationToken).ConfigureAwait(false);
            if (pipelining && groupStart == 0)
            {
                mail = await ReadReplyAsync(SmtpPhase.Mail, cancellationToken).ConfigureAwait(false);
                ThrowIfClosing(mail, SmtpPhase.Mail);
            }

            for (int i = groupStart; i < groupEnd; i++)
            {
                recipients[i] = await ReadReplyAsync(SmtpPhase.Rcpt, cancellationToken).ConfigureAwait(false);
                ThrowIfClosing(recipients[i], SmtpPhase.Rcpt);
            }
        }

        if (!useData)
        {
            return new TransactionReplies(mail, recipients, default);
        }

        if (pipelining)
        {
            return new TransactionReplies(mail, recipients, await ReadReplyAsync(SmtpPhase.Data, cancellationToken).ConfigureAwait(false));
        }

        if (CountAccepted(recipients) == 0)
        {
            return new TransactionReplies(mail, recipients, default);
        }

        WriteCommand(SmtpPhase.Data, static (w, _) => SmtpCommandWriter.WriteData(w), 0);
        return new TransactionReplies(mail, recipients, await FlushAndReadAsync(SmtpPhase.Data, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Writes MAIL and every RCPT of a plan into the staging buffer and drops them: a bad argument throws here.</summary>
    private void ValidateCommands(in MailPlan plan)
    {
        BeginCommands();
        try
        {
            WriteMailAndRecipients(plan);
        }
        finally
        {
            AbandonCommands();
        }
    }

    private void WriteMailAndRecipients(in MailPlan plan)
    {
        WriteCommand(SmtpPhase.Mail, static (w, p) => SmtpCommandWriter.WriteMailFrom(w, p.From, p.Parameters()), plan);
        for (int i = 0; i < plan.RecipientCount; i++)
        {
            WriteCommand(SmtpPhase.Rcpt, static (w, r) => SmtpCommandWriter.WriteRcptTo(w, r.Address, r.Plan.RecipientParameters()), (Address: plan.RecipientAt(i), Plan: plan));
        }
    }

    private static int CountAccepted(SmtpResponse[] replies)
    {
        int accepted = 0;
        foreach (SmtpResponse reply in replies)
        {
            if (reply.Code is 250 or 251)
            {
                accepted++;
            }
        }

        return accepted;
    }

    /// <summary>Stuffs content into the pipe a block at a time, each flushed under the data-block timeout.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteContentAsync(ReadOnlySequence<byte> message, CancellationToken cancellationToken)
    {
        var stuffer = new DotStuffer(rejectLongLines: false);
        foreach (ReadOnlyMemory<byte> segment in message)
        {
            for (int offset = 0; offset < segment.Length; offset += ContentBlock)
            {
                StuffBlock(ref stuffer, segment.Span.Slice(offset, Math.Min(ContentBlock, segment.Length - offset)), isFinalBlock: false);
                await FlushAsync(SmtpPhase.DataBlock, cancellationToken).ConfigureAwait(false);
            }
        }

        StuffBlock(ref stuffer, [], isFinalBlock: true);
        await FlushAsync(SmtpPhase.DataBlock, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask WriteContentAsync(System.IO.Pipelines.PipeReader message, CancellationToken cancellationToken)
    {
        var stuffer = new DotStuffer(rejectLongLines: false);
        while (true)
        {
            System.IO.Pipelines.ReadResult read = await message.ReadAsync(cancellationToken).ConfigureAwait(false);
            foreach (ReadOnlyMemory<byte> segment in read.Buffer)
            {
                StuffBlock(ref stuffer, segment.Span, isFinalBlock: false);
            }

            message.AdvanceTo(read.Buffer.End);
            await FlushAsync(SmtpPhase.DataBlock, cancellationToken).ConfigureAwait(false);
            if (read.IsCompleted || read.IsCanceled)
            {
                break;
            }
        }

        StuffBlock(ref stuffer, [], isFinalBlock: true);
        await FlushAsync(SmtpPhase.DataBlock, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<SmtpResponse> WriteChunksAsync(System.IO.Pipelines.PipeReader message, bool normalize, CancellationToken cancellationToken)
    {
        var chunks = new ChunkReplies(_options.UsePipelining && _capabilities.Supports(EhloKeyword.Pipelining));
        var writer = new BdatChunkWriter(normalize);
        while (true)
        {
            System.IO.Pipelines.ReadResult read = await message.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            bool completed = read.IsCompleted || read.IsCanceled;

            // A chunk is LAST only when the writer has completed and nothing follows it.
            while (buffer.Length > ChunkSize || (completed && !buffer.IsEmpty))
            {
                ReadOnlySequence<byte> piece = buffer.Slice(0, Math.Min(buffer.Length, ChunkSize));
                buffer = buffer.Slice(piece.Length);
                WriteChunk(ref writer, piece.IsSingleSegment ? piece.FirstSpan : piece.ToArray(), last: completed && buffer.IsEmpty);
                await chunks.SentAsync(this, cancellationToken).ConfigureAwait(false);
            }

            if (completed)
            {
                if (chunks.Sent == 0)
                {
                    WriteChunk(ref writer, [], last: true);
                    await chunks.SentAsync(this, cancellationToken).ConfigureAwait(false);
                }

                message.AdvanceTo(buffer.End);
                return await chunks.FinishAsync(this, cancellationToken).ConfigureAwait(false);
            }

            message.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private async ValueTask WriteContentAsync(Stream message, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ContentBlock);
        try
        {
            var stuffer = new DotStuffer(rejectLongLines: false);
            int read;
            while ((read = await message.ReadAsync(buffer.AsMemory(0, ContentBlock), cancellationToken).ConfigureAwait(false)) > 0)
            {
                StuffBlock(ref stuffer, buffer.AsSpan(0, read), isFinalBlock: false);
                await FlushAsync(SmtpPhase.DataBlock, cancellationToken).ConfigureAwait(false);
            }

            StuffBlock(ref stuffer, [], isFinalBlock: true);
            await FlushAsync(SmtpPhase.DataBlock, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Sends the content as BDAT chunks (RFC 3030): pipelined with up to <see cref="MaxChunksInFlight"/>
    /// replies outstanding when the server offers PIPELINING, else each chunk waits for its reply.
    /// </summary>
    /// <returns>The reply to the last chunk, or the first refusal.</returns>
    private async ValueTask<SmtpResponse> WriteChunksAsync(ReadOnlySequence<byte> message, bool normalize, CancellationToken cancellationToken)
    {
        var chunks = new ChunkReplies(_options.UsePipelining && _capabilities.Supports(EhloKeyword.Pipelining));
        var writer = new BdatChunkWriter(normalize);
        ReadOnlySequence<byte> rest = message;
        do
        {
            ReadOnlySequence<byte> piece = rest.Slice(0, Math.Min(rest.Length, ChunkSize));
            rest = rest.Slice(piece.Length);
            WriteChunk(ref writer, piece.IsSingleSegment ? piece.FirstSpan : piece.ToArray(), last: rest.IsEmpty);
            await chunks.SentAsync(this, cancellationToken).ConfigureAwait(false);
        }
        while (!rest.IsEmpty);

        return await chunks.FinishAsync(this, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<SmtpResponse> WriteChunksAsync(Stream message, bool normalize, CancellationToken cancellationToken)
    {
        var chunks = new ChunkReplies(_options.UsePipelining && _capabilities.Supports(EhloKeyword.Pipelining));
        var writer = new BdatChunkWriter(normalize);
        byte[] current = ArrayPool<byte>.Shared.Rent(ChunkSize);
        byte[] next = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            // Read one chunk ahead: a chunk is LAST when the stream has nothing after it.
            int length = await message.ReadAtLeastAsync(current.AsMemory(0, ChunkSize), ChunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                int nextLength = length < ChunkSize ? 0 : await message.ReadAtLeastAsync(next.AsMemory(0, ChunkSize), ChunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                WriteChunk(ref writer, current.AsSpan(0, length), last: nextLength == 0);
                await chunks.SentAsync(this, cancellationToken).ConfigureAwait(false);
                if (nextLength == 0)
                {
                    return await chunks.FinishAsync(this, cancellationToken).ConfigureAwait(false);
                }

                (current, next, length) = (next, current, nextLength);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
        }
    }

    private void WriteChunk(ref BdatChunkWriter writer, ReadOnlySpan<byte> chunk, bool last)
    {
        if (last && LastSendProgress == SendProgress.None)
        {
            LastSendProgress = SendProgress.EndOfDataWritten;
        }

        writer.WriteChunk(chunk, _tap is null ? _output : _tap.Attach(_output), last).ThrowIfFailed();
        if (_tap is not null)
        {
            Note(SmtpTranscriptDirection.Client, _tap.TakeFirstLine() + $" <{chunk.Length.ToString(CultureInfo.InvariantCulture)} bytes>");
        }
    }

    /// <summary>Counts BDAT chunks sent and reads their replies, keeping the first refusal.</summary>
    private sealed class ChunkReplies(bool pipelining)
    {
        private int _outstanding;
        private SmtpResponse _result;

        public int Sent { get; private set; }

        public async ValueTask SentAsync(SmtpConnection connection, CancellationToken cancellationToken)
        {
            await connection.FlushAsync(SmtpPhase.DataBlock, cancellationToken).ConfigureAwait(false);
            _outstanding++;
            Sent++;
            int allowed = pipelining ? MaxChunksInFlight : 0;
            while (_outstanding > allowed)
            {
                await ReadOneAsync(connection, cancellationToken).ConfigureAwait(false);
            }
        }

        public async ValueTask<SmtpResponse> FinishAsync(SmtpConnection connection, CancellationToken cancellationToken)
        {
            while (_outstanding > 0)
            {
                await ReadOneAsync(connection, cancellationToken).ConfigureAwait(false);
            }

            return _result;
        }

        private async ValueTask ReadOneAsync(SmtpConnection connection, CancellationToken cancellationToken)
        {
            SmtpResponse reply = await connection.ReadReplyAsync(SmtpPhase.EndOfData, cancellationToken).ConfigureAwait(false);
            connection.ThrowIfClosing(reply, SmtpPhase.EndOfData);
            _outstanding--;
            if (_result.Code is 0 or 250)
            {
                _result = reply;
            }
        }
    }

    private void StuffBlock(ref DotStuffer stuffer, ReadOnlySpan<byte> block, bool isFinalBlock, bool abandoning = false)
    {
        if (isFinalBlock && !abandoning && LastSendProgress == SendProgress.None)
        {
            LastSendProgress = SendProgress.EndOfDataWritten;
        }

        stuffer.Stuff(block, _tap is null ? _output : _tap.Attach(_output, keepPartialLine: true), isFinalBlock);
        if (_tap is not null)
        {
            foreach (string line in _tap.TakeLines())
            {
                Note(SmtpTranscriptDirection.Client, line);
            }
        }
    }

    /// <summary>After a 354 nobody will use (RFC 2920 section 3.1), sends the lone terminator and reads its reply.</summary>
    private async Task AbandonDataAsync(SmtpResponse data, CancellationToken cancellationToken)
    {
        if (data.Code == 354)
        {
            var stuffer = new DotStuffer(rejectLongLines: false);
            StuffBlock(ref stuffer, [], isFinalBlock: true, abandoning: true);
            SmtpResponse reply = await FlushAndReadAsync(SmtpPhase.EndOfData, cancellationToken).ConfigureAwait(false);
            ThrowIfClosing(reply, SmtpPhase.EndOfData);
        }
    }

    /// <summary>RSET after a refused transaction (RFC 5321 section 4.1.1.5), unless the server is closing (421).</summary>
    private async Task ResetAfterRefusalAsync(SmtpResponse refusal, SmtpPhase phase, CancellationToken cancellationToken)
    {
        ThrowIfClosing(refusal, phase);
        WriteCommand(SmtpPhase.Other, static (w, _) => SmtpCommandWriter.WriteRset(w), 0);
        SmtpResponse reset = await FlushAndReadAsync(SmtpPhase.Other, cancellationToken).ConfigureAwait(false);
        ThrowIfClosing(reset, SmtpPhase.Other);
    }

    /// <summary>A 421 ends the session wherever it comes (RFC 5321 section 3.8).</summary>
    private void ThrowIfClosing(SmtpResponse reply, SmtpPhase phase)
    {
        if (reply.Code == 421)
        {
            _broken = true;
            _stream.Dispose();
            throw new SmtpReplyException(phase, reply, "The session");
        }
    }

    /// <summary>Decides the parameters of MAIL and RCPT and checks that the server offers what the message needs.</summary>
    /// <param name="envelope">The message's envelope.</param>
    /// <param name="batch">The recipients of this transaction (indexes into the envelope's), or null for all of them in order.</param>
    /// <param name="size">The content's size, or -1 when unknown.</param>
    /// <param name="eightBit">Whether the content has bytes above 0x7F.</param>
    private MailPlan Plan(SmtpEnvelope envelope, int[]? batch, long size, bool eightBit)
    {
        bool utf8Offered = _capabilities.Supports(EhloKeyword.SmtpUtf8);
        bool needsUtf8 = false;
        string from = PrepareAddress(envelope.From, utf8Offered, SmtpPhase.Mail, ref needsUtf8);

        // The envelope's own list serves as is (no array per message) unless a batch or an A-label rewrite needs another.
        int count = batch?.Length ?? envelope.Recipients.Count;
        string[]? recipients = batch is null ? null : new string[count];
        for (int i = 0; i < count; i++)
        {
            string original = envelope.Recipients[batch is null ? i : batch[i]];
            string prepared = PrepareAddress(original, utf8Offered, SmtpPhase.Rcpt, ref needsUtf8);
            if (recipients is null && !ReferenceEquals(prepared, original))
            {
                recipients = new string[count];
                for (int j = 0; j < i; j++)
                {
                    recipients[j] = envelope.Recipients[j];
                }
            }

            if (recipients is not null)
            {
                recipients[i] = prepared;
            }
        }


        BodyType body = envelope.Body;
        if (body == BodyType.None && eightBit)
        {
            body = BodyType.EightBitMime;
        }

        if (body is BodyType.EightBitMime && !_capabilities.Supports(EhloKeyword.EightBitMime))
        {
            throw Needs(SmtpPhase.Mail, "8-bit content", "8BITMIME");
        }

        if (body is BodyType.BinaryMime && !_capabilities.SupportsAll(EhloExtensions.BinaryMime | EhloExtensions.Chunking))
        {
            throw Needs(SmtpPhase.Mail, "BODY=BINARYMIME", "BINARYMIME and CHUNKING (RFC 3030 section 3)");
        }

        bool dsn = envelope.Return != DsnReturn.None || envelope.EnvelopeId is not null || envelope.Notify != DsnNotifyFlags.None;
        if (dsn && !_capabilities.Supports(EhloKeyword.Dsn))
        {
            throw Needs(SmtpPhase.Mail, "Delivery status notification parameters", "DSN");
        }

        if (envelope.RequireTls && (!_capabilities.Supports(EhloKeyword.RequireTls) || !IsEncrypted))
        {
            throw Needs(SmtpPhase.Mail, "REQUIRETLS", "REQUIRETLS over TLS");
        }

        if (envelope.Priority is not null && !_capabilities.Supports(EhloKeyword.MtPriority))
        {
            throw Needs(SmtpPhase.Mail, "MT-PRIORITY", "MT-PRIORITY");
        }

        long? declaredSize = null;
        if (size >= 0 && _capabilities.Supports(EhloKeyword.Size))
        {
            declaredSize = size;
            if (_capabilities.SizeLimit is > 0 and var limit && (ulong)size > limit)
            {
                throw new SmtpException(SmtpPhase.Mail, $"The message has {size.ToString(CultureInfo.InvariantCulture)} bytes; the server's SIZE limit is {limit.ToString(CultureInfo.InvariantCulture)}.", isTransient: false);
            }
        }

        return new MailPlan(from, recipients, declaredSize, body, needsUtf8, envelope);
    }

    private static SmtpException Needs(SmtpPhase phase, string what, string extension) =>
        new(phase, $"{what} needs the server to offer {extension}, and it does not.", isTransient: false);

    /// <summary>ASCII addresses pass; UTF-8 ones need SMTPUTF8, or else a domain becomes A-labels (IDNA) and a UTF-8 local part fails.</summary>
    private static string PrepareAddress(string address, bool utf8Offered, SmtpPhase phase, ref bool needsUtf8)
    {
        if (System.Text.Ascii.IsValid(address))
        {
            return address;
        }

        if (utf8Offered)
        {
            needsUtf8 = true;
            return address;
        }

        int at = address.LastIndexOf('@');
        if (at < 0 || !System.Text.Ascii.IsValid(address.AsSpan(0, at)))
        {
            throw new SmtpException(phase, $"The address '{address}' has a non-ASCII local part and the server does not offer SMTPUTF8.", isTransient: false);
        }

        try
        {
            return string.Concat(address.AsSpan(0, at + 1), new IdnMapping().GetAscii(address[(at + 1)..]));
        }
        catch (ArgumentException e)
        {
            throw new SmtpException(phase, $"The domain of '{address}' cannot be written as A-labels: {e.Message}", isTransient: false, e);
        }
    }

    private static bool HasEightBitBytes(ReadOnlySequence<byte> message)
    {
        foreach (ReadOnlyMemory<byte> segment in message)
        {
            if (segment.Span.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>How far the last <c>SendAsync</c> got; after a failure it tells whether sending again is safe.</summary>
    internal SendProgress LastSendProgress { get; private set; }

    /// <summary>How far a send got before it ended.</summary>
    internal enum SendProgress
    {
        /// <summary>No end of data was written: the server cannot have accepted the message.</summary>
        None,

        /// <summary>An end of data (terminator or BDAT LAST) was written: the server may have accepted it.</summary>
        EndOfDataWritten,

        /// <summary>A transaction was accepted: some recipients have the message.</summary>
        Delivered,
    }

    /// <summary>The replies to MAIL, each RCPT and DATA (default when not sent).</summary>
    private readonly record struct TransactionReplies(SmtpResponse Mail, SmtpResponse[] Recipients, SmtpResponse Data);

    /// <summary>A message in memory (repeatable) or in a stream (repeatable when seekable).</summary>
    private readonly struct MessageContent
    {
        private readonly ReadOnlySequence<byte> _sequence;
        private readonly Stream? _stream;
        private readonly System.IO.Pipelines.PipeReader? _pipe;
        private readonly long _streamStart;

        public MessageContent(ReadOnlySequence<byte> sequence)
        {
            _sequence = sequence;
            Length = sequence.Length;
            HasEightBitBytes = SmtpConnection.HasEightBitBytes(sequence);
        }

        public MessageContent(System.IO.Pipelines.PipeReader pipe)
        {
            _pipe = pipe;
            _streamStart = -1;
            Length = -1;
        }

        public MessageContent(Stream stream)
        {
            _stream = stream;
            _streamStart = stream.CanSeek ? stream.Position : -1;
            Length = stream.CanSeek ? stream.Length - stream.Position : -1;
        }

        /// <summary>The size in bytes, or -1 when unknown.</summary>
        public long Length { get; }

        /// <summary>Whether the content has bytes above 0x7F (never known for a stream: declare BODY instead).</summary>
        public bool HasEightBitBytes { get; }

        public bool CanRepeat => _pipe is null && (_stream is null || _streamStart >= 0);

        public ValueTask WriteAsync(SmtpConnection connection, CancellationToken cancellationToken)
        {
            if (_pipe is not null)
            {
                return connection.WriteContentAsync(_pipe, cancellationToken);
            }

            if (_stream is null)
            {
                return connection.WriteContentAsync(_sequence, cancellationToken);
            }

            if (_streamStart >= 0)
            {
                _stream.Position = _streamStart;
            }

            return connection.WriteContentAsync(_stream, cancellationToken);
        }

        public ValueTask<SmtpResponse> WriteChunksAsync(SmtpConnection connection, bool normalize, CancellationToken cancellationToken)
        {
            if (_pipe is not null)
            {
                return connection.WriteChunksAsync(_pipe, normalize, cancellationToken);
            }

            if (_stream is null)
            {
                return connection.WriteChunksAsync(_sequence, normalize, cancellationToken);
            }

            if (_streamStart >= 0)
            {
                _stream.Position = _streamStart;
            }

            return connection.WriteChunksAsync(_stream, normalize, cancellationToken);
        }
    }

    /// <summary>The parameters decided for one transaction; <paramref name="Recipients"/> null means the envelope's, in order.</summary>
    private readonly record struct MailPlan(string From, string[]? Recipients, long? Size, BodyType Body, bool SmtpUtf8, SmtpEnvelope Envelope)
    {
        public int RecipientCount => Recipients?.Length ?? Envelope.Recipients.Count;

        public string RecipientAt(int index) => Recipients is null ? Envelope.Recipients[index] : Recipients[index];

        public MailFromParameters Parameters() => new()
        {
            Size = Size,
            Body = Body,
            SmtpUtf8 = SmtpUtf8,
            Return = Envelope.Return,
            EnvelopeId = Envelope.EnvelopeId,
            RequireTls = Envelope.RequireTls,
            MtPriority = Envelope.Priority,
        };

        public RcptToParameters RecipientParameters() => new() { SmtpUtf8 = SmtpUtf8, Notify = Envelope.Notify };
    }
}
