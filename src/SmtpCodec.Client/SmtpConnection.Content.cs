using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using SmtpCodec.Commands;
using SmtpCodec.Data;

namespace SmtpCodec.Client;

/// <summary>
/// The content writers: one for DATA (dot-stuffed, then the terminator) and one for BDAT (chunks, the last
/// one LAST), each reading any <see cref="MessageContent"/> through the connection's <see cref="ContentReader"/>.
/// Writing the last piece marks the transaction <see cref="TransactionProgress.EndOfDataWritten"/>: from
/// then on the server may hold the message.
/// </summary>
public sealed partial class SmtpConnection
{
    // Content goes into the pipe a block at a time, each flushed under the data-block timeout.
    private const int ContentBlockSize = 32 * 1024;

    // BDAT chunk size for a connection's own sends, and how many chunks may await their replies at once.
    private const int ChunkSize = 64 * 1024;
    private const int MaxChunksInFlight = 8;

    private readonly ContentReader _contentReader = new();

    /// <summary>
    /// DATA content after the 354: stuffed a block at a time, each block but the last flushed, then the
    /// terminator (not flushed: the pool puts the next message's commands behind it).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal async ValueTask WriteDataContentAsync(SmtpTransaction transaction, MessageContent content, CancellationToken cancellationToken)
    {
        EnsureUsable(SmtpPhase.DataBlock);
        ContentReader reader = _contentReader;
        reader.Start(content, cancellationToken);
        bool check = !content.EightBitKnown && !transaction.AllowsEightBit;
        try
        {
            var stuffer = new DotStuffer(rejectLongLines: false);
            while (true)
            {
                ContentBlock block = await reader.ReadAsync(ContentBlockSize, cancellationToken).ConfigureAwait(false);
                ThrowIfUndeclaredEightBit(check, block.Data);
                foreach (ReadOnlyMemory<byte> segment in block.Data)
                {
                    StuffBlock(ref stuffer, segment.Span, isFinalBlock: false);
                }

                if (block.IsLast)
                {
                    break;
                }

                await FlushAsync(SmtpPhase.DataBlock, cancellationToken).ConfigureAwait(false);
            }

            transaction.ContentWritten(last: true);
            StuffBlock(ref stuffer, [], isFinalBlock: true);
        }
        finally
        {
            await reader.FinishAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// BDAT content (RFC 3030). For the pool (<paramref name="streamed"/> true) the whole message as one BDAT LAST
    /// chunk, not flushed, its reply left to the pool's window. For the connection's own sends, content whose size is
    /// known before it is sent (memory, a scanned seekable stream) also goes as one BDAT LAST chunk, written a block
    /// at a time (<see cref="WriteWholeChunkAsync"/>); other content in chunks of <see cref="ChunkSize"/>, each
    /// flushed, with up to <see cref="MaxChunksInFlight"/> replies outstanding when pipelining (else each waits for
    /// its reply). Once a chunk is refused no further one goes out (RFC 3030 section 2): the transaction has failed
    /// and the caller resets it.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal async ValueTask WriteChunksAsync(SmtpTransaction transaction, MessageContent content, bool streamed, CancellationToken cancellationToken)
    {
        EnsureUsable(SmtpPhase.DataBlock);
        long whole = streamed ? -1 : content.WholeChunkLength(transaction.IsBinary);
        if (whole >= 0)
        {
            await WriteWholeChunkAsync(transaction, content, whole, cancellationToken).ConfigureAwait(false);
            return;
        }

        int chunkSize = streamed ? (int)Math.Max(content.Length, 1) : ChunkSize;
        bool check = !content.EightBitKnown && !transaction.AllowsEightBit;
        int allowed = streamed ? int.MaxValue : _pipelining ? MaxChunksInFlight : 0;
        ContentReader reader = _contentReader;
        reader.Start(content, cancellationToken);
        try
        {
            var writer = new BdatChunkWriter(normalizeLineBreaks: !transaction.IsBinary);
            ContentBlock block;
            do
            {
                block = await reader.ReadAsync(chunkSize, cancellationToken).ConfigureAwait(false);
                ThrowIfUndeclaredEightBit(check, block.Data);
                ReadOnlySequence<byte> data = block.Data;
                WriteChunk(transaction, ref writer, data.IsSingleSegment ? data.FirstSpan : data.ToArray(), block.IsLast);
                if (!streamed)
                {
                    await FlushAsync(block.IsLast ? SmtpPhase.EndOfData : SmtpPhase.DataBlock, cancellationToken).ConfigureAwait(false);
                    if (transaction.EndOfDataOwed > allowed)
                    {
                        await ReadRepliesAsync(transaction, cancellationToken, leaveEndOfData: allowed).ConfigureAwait(false);
                    }
                }
            }
            while (!block.IsLast && !transaction.ContentRefused);
        }
        finally
        {
            await reader.FinishAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Content of a known size as one chunk: <c>BDAT size LAST</c>, then the bytes a block at a time, each block but
    /// the last flushed, as DATA goes (the caller flushes the last one). One reply per message, not one per chunk: a
    /// server that answers each chunk once it has taken it and whose socket runs Nagle's algorithm (Postfix's smtpd) holds
    /// all but the first of the replies owed after our last byte until our delayed ACK comes, about 40 ms a message.
    /// Each block is measured before it is written: content that no longer gives the declared size (a stream changed
    /// since it was scanned) fails the send before a byte beyond the chunk or its end goes out, and ends the connection.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteWholeChunkAsync(SmtpTransaction transaction, MessageContent content, long size, CancellationToken cancellationToken)
    {
        bool normalize = !transaction.IsBinary;
        bool check = !content.EightBitKnown && !transaction.AllowsEightBit;
        ContentReader reader = _contentReader;
        reader.Start(content, cancellationToken);
        try
        {
            IBufferWriter<byte> header = _tap is null ? _output : _tap.Attach(_output);
            SmtpCommandWriter.WriteBdat(header, size, last: true).ThrowIfFailed();
            if (_tap is not null)
            {
                Note(SmtpTranscriptDirection.Client, _tap.TakeFirstLine() + $" <{size.ToString(CultureInfo.InvariantCulture)} bytes>");
            }

            var normalizer = new BdatLineBreakNormalizer();
            var measured = new ChunkSizer();
            long written = 0;
            while (true)
            {
                ContentBlock block = await reader.ReadAsync(ContentBlockSize, cancellationToken).ConfigureAwait(false);
                ThrowIfUndeclaredEightBit(check, block.Data);
                long expected = written + block.Data.Length;
                if (normalize)
                {
                    foreach (ReadOnlyMemory<byte> segment in block.Data)
                    {
                        measured.Add(segment.Span);
                    }

                    expected = measured.Length;
                }

                if (expected > size || (block.IsLast && expected != size))
                {
                    throw Broken(new SmtpException(
                        SmtpPhase.DataBlock,
                        $"The message changed while it was sent: BDAT declared {size} bytes and the content gives {(block.IsLast ? "" : "more than ")}{expected}; nothing was delivered.",
                        isTransient: false));
                }

                // Counted before the last bytes go: from here on a failure must assume the server may have the message.
                if (block.IsLast)
                {
                    transaction.ContentWritten(last: true);
                }

                foreach (ReadOnlyMemory<byte> segment in block.Data)
                {
                    if (normalize)
                    {
                        written += normalizer.Normalize(segment.Span, _output);
                    }
                    else
                    {
                        _output.Write(segment.Span);
                        written += segment.Length;
                    }
                }

                if (written != expected)
                {
                    throw Broken(new SmtpException(SmtpPhase.DataBlock, $"The BDAT chunk was measured at {expected} bytes so far but {written} were written; the connection is closed.", isTransient: false));
                }

                if (block.IsLast)
                {
                    return;
                }

                await FlushAsync(SmtpPhase.DataBlock, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await reader.FinishAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Content that could not be scanned before MAIL (a pipe, an unseekable stream) is checked as it goes: 8-bit
    /// bytes under a MAIL that declared none would be sent undeclared (RFC 6152 section 3), so the send fails
    /// here, before the end of data, and the connection is dropped so that the server discards what it got.
    /// </summary>
    private void ThrowIfUndeclaredEightBit(bool check, ReadOnlySequence<byte> block)
    {
        if (!check)
        {
            return;
        }

        foreach (ReadOnlyMemory<byte> segment in block)
        {
            if (segment.Span.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0)
            {
                throw Broken(new SmtpException(
                    SmtpPhase.DataBlock,
                    "The message has 8-bit bytes and its envelope declared none: set SmtpEnvelope.Body to EightBitMime (the server must offer 8BITMIME); nothing was delivered.",
                    isTransient: false));
            }
        }
    }

    private void WriteChunk(SmtpTransaction transaction, ref BdatChunkWriter writer, ReadOnlySpan<byte> chunk, bool last)
    {
        // Counted before the bytes go: from here on a failure must assume the server may have the message.
        transaction.ContentWritten(last);
        writer.WriteChunk(chunk, _tap is null ? _output : _tap.Attach(_output), last).ThrowIfFailed();
        if (_tap is not null)
        {
            Note(SmtpTranscriptDirection.Client, _tap.TakeFirstLine() + $" <{chunk.Length.ToString(CultureInfo.InvariantCulture)} bytes>");
        }
    }

    private void StuffBlock(ref DotStuffer stuffer, ReadOnlySpan<byte> block, bool isFinalBlock)
    {
        if (_tap is not null && !_options.TranscriptIncludesContent)
        {
            // Content lines stay out of the transcript unless asked for: one note, then the terminator.
            stuffer.Stuff(block, _output, isFinalBlock);
            if (isFinalBlock)
            {
                Note(SmtpTranscriptDirection.Note, "message content sent (not shown)");
                Note(SmtpTranscriptDirection.Client, ".");
            }

            return;
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
}
