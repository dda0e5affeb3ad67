using System.Buffers;
using System.Diagnostics;
using System.Globalization;
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
    /// <returns>The server's reply and each recipient's.</returns>
    public async Task<SmtpSendResult> SendAsync(SmtpEnvelope envelope, ReadOnlySequence<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        long start = Stopwatch.GetTimestamp();
        MailPlan plan = Plan(envelope, message.Length, HasEightBitBytes(message));
        SmtpRecipientResult[] recipients = await OpenTransactionAsync(envelope, plan, cancellationToken).ConfigureAwait(false);
        var stuffer = new DotStuffer(rejectLongLines: false);
        foreach (ReadOnlyMemory<byte> segment in message)
        {
            for (int offset = 0; offset < segment.Length; offset += ContentBlock)
            {
                ReadOnlySpan<byte> block = segment.Span.Slice(offset, Math.Min(ContentBlock, segment.Length - offset));
                stuffer.Stuff(block, ContentWriter(), isFinalBlock: false);
                NoteContent();
                await FlushAsync(SmtpPhase.DataBlock, cancellationToken).ConfigureAwait(false);
            }
        }

        return await EndDataAsync(stuffer, recipients, start, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a message read from a stream, with bounded memory whatever its size.</summary>
    /// <param name="envelope">Sender, recipients and parameters; set <see cref="SmtpEnvelope.Body"/> when the content is 8-bit.</param>
    /// <param name="message">The message, read to its end.</param>
    /// <param name="cancellationToken">Cancels the transaction and closes the connection.</param>
    /// <returns>The server's reply and each recipient's.</returns>
    public async Task<SmtpSendResult> SendAsync(SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(message);
        long start = Stopwatch.GetTimestamp();
        MailPlan plan = Plan(envelope, message.CanSeek ? message.Length - message.Position : -1, eightBit: false);
        SmtpRecipientResult[] recipients = await OpenTransactionAsync(envelope, plan, cancellationToken).ConfigureAwait(false);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ContentBlock);
        try
        {
            var stuffer = new DotStuffer(rejectLongLines: false);
            int read;
            while ((read = await message.ReadAsync(buffer.AsMemory(0, ContentBlock), cancellationToken).ConfigureAwait(false)) > 0)
            {
                stuffer.Stuff(buffer.AsSpan(0, read), ContentWriter(), isFinalBlock: false);
                NoteContent();
                await FlushAsync(SmtpPhase.DataBlock, cancellationToken).ConfigureAwait(false);
            }

            return await EndDataAsync(stuffer, recipients, start, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>MAIL, RCPT and DATA up to the 354; afterwards the content may be written.</summary>
    private async Task<SmtpRecipientResult[]> OpenTransactionAsync(SmtpEnvelope envelope, MailPlan plan, CancellationToken cancellationToken)
    {
        bool pipelining = _options.UsePipelining && _capabilities.Supports(EhloKeyword.Pipelining);
        var results = new SmtpRecipientResult[envelope.Recipients.Count];
        WriteCommand(SmtpPhase.Mail, static (w, p) => SmtpCommandWriter.WriteMailFrom(w, p.From, p.Parameters()), plan);
        SmtpResponse mail = default;
        if (!pipelining)
        {
            mail = await FlushAndReadAsync(SmtpPhase.Mail, cancellationToken).ConfigureAwait(false);
            if (mail.Code != 250)
            {
                throw await FailTransactionAsync(SmtpPhase.Mail, mail, "MAIL FROM", cancellationToken).ConfigureAwait(false);
            }
        }

        int total = results.Length;
        int groupSize = pipelining ? MaxPipelinedRecipients : 1;
        for (int groupStart = 0; groupStart < total; groupStart += groupSize)
        {
            int groupEnd = Math.Min(total, groupStart + groupSize);
            for (int i = groupStart; i < groupEnd; i++)
            {
                WriteCommand(SmtpPhase.Rcpt, static (w, r) => SmtpCommandWriter.WriteRcptTo(w, r.Address, r.Plan.RecipientParameters()), (Address: plan.Recipients[i], Plan: plan));
            }

            if (pipelining && groupEnd == total)
            {
                WriteCommand(SmtpPhase.Data, static (w, _) => SmtpCommandWriter.WriteData(w), 0);
            }

            await FlushAsync(SmtpPhase.Rcpt, cancellationToken).ConfigureAwait(false);
            if (pipelining && groupStart == 0)
            {
                mail = await ReadReplyAsync(SmtpPhase.Mail, cancellationToken).ConfigureAwait(false);
            }

            for (int i = groupStart; i < groupEnd; i++)
            {
                results[i] = new SmtpRecipientResult(envelope.Recipients[i], await ReadReplyAsync(SmtpPhase.Rcpt, cancellationToken).ConfigureAwait(false));
            }

        }

        SmtpResponse data;
        if (pipelining)
        {
            data = await ReadReplyAsync(SmtpPhase.Data, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            if (!results.Any(r => r.Accepted))
            {
                throw await FailTransactionAsync(SmtpPhase.Rcpt, results[^1].Reply, "Every RCPT TO", cancellationToken).ConfigureAwait(false);
            }

            WriteCommand(SmtpPhase.Data, static (w, _) => SmtpCommandWriter.WriteData(w), 0);
            data = await FlushAndReadAsync(SmtpPhase.Data, cancellationToken).ConfigureAwait(false);
        }

        if (mail.Code != 250)
        {
            await AbandonDataAsync(data, cancellationToken).ConfigureAwait(false);
            throw await FailTransactionAsync(SmtpPhase.Mail, mail, "MAIL FROM", cancellationToken).ConfigureAwait(false);
        }

        if (!results.Any(r => r.Accepted))
        {
            // RFC 2920 section 3.1: DATA may still get 354; a lone terminator then ends the empty transaction.
            await AbandonDataAsync(data, cancellationToken).ConfigureAwait(false);
            throw await FailTransactionAsync(SmtpPhase.Rcpt, results[^1].Reply, "Every RCPT TO", cancellationToken).ConfigureAwait(false);
        }

        if (data.Code != 354)
        {
            throw await FailTransactionAsync(SmtpPhase.Data, data, "DATA", cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

    private async Task<SmtpSendResult> EndDataAsync(DotStuffer stuffer, SmtpRecipientResult[] recipients, long start, CancellationToken cancellationToken)
    {
        stuffer.Stuff([], ContentWriter(), isFinalBlock: true);
        NoteContent();

        await FlushAsync(SmtpPhase.DataBlock, cancellationToken).ConfigureAwait(false);
        SmtpResponse reply = await ReadReplyAsync(SmtpPhase.EndOfData, cancellationToken).ConfigureAwait(false);
        if (reply.Code != 250)
        {
            throw await FailAsync(SmtpPhase.EndOfData, reply, "The message").ConfigureAwait(false);
        }

        return new SmtpSendResult(reply, recipients, Stopwatch.GetElapsedTime(start));
    }

    /// <summary>Where content goes: the pipe, through the tap while a transcript is wanted.</summary>
    private IBufferWriter<byte> ContentWriter() => _tap is null ? _output : _tap.Attach(_output, keepPartialLine: true);

    private void NoteContent()
    {
        if (_tap is not null)
        {
            foreach (string line in _tap.TakeLines())
            {
                Note(SmtpTranscriptDirection.Client, line);
            }
        }
    }

    /// <summary>After a 354 nobody will use, sends the lone terminator and reads its reply.</summary>
    private async Task AbandonDataAsync(SmtpResponse data, CancellationToken cancellationToken)
    {
        if (data.Code == 354)
        {
            var stuffer = new DotStuffer(rejectLongLines: false);
            stuffer.Stuff([], _output, isFinalBlock: true);
            await FlushAndReadAsync(SmtpPhase.EndOfData, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>RSET after a refused transaction (unless the server is closing), then the exception to throw.</summary>
    private async Task<SmtpReplyException> FailTransactionAsync(SmtpPhase phase, SmtpResponse reply, string what, CancellationToken cancellationToken)
    {
        SmtpReplyException failure = await FailAsync(phase, reply, what).ConfigureAwait(false);
        if (IsConnected)
        {
            WriteCommand(SmtpPhase.Other, static (w, _) => SmtpCommandWriter.WriteRset(w), 0);
            await FlushAndReadAsync(SmtpPhase.Other, cancellationToken).ConfigureAwait(false);
        }

        return failure;
    }

    /// <summary>Decides the parameters of MAIL and RCPT and checks that the server offers what the message needs.</summary>
    private MailPlan Plan(SmtpEnvelope envelope, long size, bool eightBit)
    {
        bool utf8Offered = _capabilities.Supports(EhloKeyword.SmtpUtf8);
        bool needsUtf8 = false;
        string from = PrepareAddress(envelope.From, utf8Offered, SmtpPhase.Mail, ref needsUtf8);
        string[] recipients = envelope.Recipients.Select(r => PrepareAddress(r, utf8Offered, SmtpPhase.Rcpt, ref needsUtf8)).ToArray();

        BodyType body = envelope.Body;
        if (body == BodyType.None && eightBit)
        {
            body = BodyType.EightBitMime;
        }

        if (body is BodyType.EightBitMime && !_capabilities.Supports(EhloKeyword.EightBitMime))
        {
            throw Needs(SmtpPhase.Mail, "8-bit content", "8BITMIME");
        }

        if (body is BodyType.BinaryMime && !_capabilities.Supports(EhloKeyword.BinaryMime))
        {
            throw Needs(SmtpPhase.Mail, "BODY=BINARYMIME", "BINARYMIME");
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

    /// <summary>The parameters decided for one transaction.</summary>
    private sealed record MailPlan(string From, string[] Recipients, long? Size, BodyType Body, bool SmtpUtf8, SmtpEnvelope Envelope)
    {
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
