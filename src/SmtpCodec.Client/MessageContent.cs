using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using SmtpCodec.Data;

namespace SmtpCodec.Client;

/// <summary>
/// A message's content wherever it lives: memory (one or more buffers), a stream, a pipe, or a writer callback
/// (written into a pipe as it is sent, see <see cref="WrittenContent"/>). The DATA and BDAT writers read every
/// kind through <see cref="ContentReader"/>, so each end-of-data rule is written once.
/// </summary>
internal readonly struct MessageContent
{
    private readonly ReadOnlySequence<byte> _sequence;
    private readonly Stream? _stream;
    private readonly PipeReader? _pipe;
    private readonly Func<Stream, CancellationToken, ValueTask>? _writer;
    private readonly long _streamStart;

    // A scanned seekable stream's size as one BDAT chunk of a text body (line breaks made CRLF); -1 when not scanned.
    private readonly long _textChunkLength = -1;

    public MessageContent(ReadOnlySequence<byte> sequence)
    {
        _sequence = sequence;
        _streamStart = -1;
        Length = sequence.Length;
        HasEightBitBytes = ScanForEightBit(sequence);
        EightBitKnown = true;
        if (HasEightBitBytes)
        {
            // Only then can the headers hold UTF-8 (RFC 6532): the common ASCII message pays nothing more.
            var headers = new HeaderScanner();
            foreach (ReadOnlyMemory<byte> segment in sequence)
            {
                headers.Scan(segment.Span);
                if (headers.Ended)
                {
                    break;
                }
            }

            HeadersHaveEightBitBytes = headers.FoundEightBit;
        }
    }

    public MessageContent(ReadOnlyMemory<byte> memory)
        : this(new ReadOnlySequence<byte>(memory))
    {
    }

    public MessageContent(Stream stream)
    {
        _stream = stream;
        _streamStart = stream.CanSeek ? stream.Position : -1;
        Length = stream.CanSeek ? stream.Length - stream.Position : -1;
    }

    private MessageContent(Stream stream, bool hasEightBitBytes, bool headersHaveEightBitBytes, long textChunkLength)
        : this(stream)
    {
        HasEightBitBytes = hasEightBitBytes;
        HeadersHaveEightBitBytes = headersHaveEightBitBytes;
        EightBitKnown = true;
        _textChunkLength = textChunkLength;
    }

    /// <summary>
    /// Content from a stream: a seekable one (a file) is read through once for bytes above 0x7F and put back
    /// where it was, so that BODY is decided before MAIL (RFC 6152 section 3), and measured as one BDAT chunk
    /// (<see cref="WholeChunkLength"/>); any other is checked as it is sent.
    /// </summary>
    public static async ValueTask<MessageContent> FromStreamAsync(Stream stream, CancellationToken cancellationToken)
    {
        if (!stream.CanSeek)
        {
            return new MessageContent(stream);
        }

        long start = stream.Position;
        bool eightBit = false;
        var headers = new HeaderScanner();
        var chunk = new ChunkSizer();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                ReadOnlySpan<byte> block = buffer.AsSpan(0, read);
                headers.Scan(block);
                eightBit = eightBit || block.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0;
                chunk.Add(block);
            }
        }
        finally
        {
            stream.Position = start;
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return new MessageContent(stream, eightBit, headers.FoundEightBit, chunk.Length);
    }

    public MessageContent(PipeReader pipe)
    {
        _pipe = pipe;
        _streamStart = -1;
        Length = -1;
    }

    /// <summary>Content a callback writes into a stream, once per transaction; neither its size nor its 8-bit bytes are known before it is sent.</summary>
    public MessageContent(Func<Stream, CancellationToken, ValueTask> writer)
    {
        _writer = writer;
        _streamStart = -1;
        Length = -1;
    }

    /// <summary>The size in bytes, or -1 when unknown.</summary>
    public long Length { get; }

    /// <summary>Whether the content has bytes above 0x7F, as far as <see cref="EightBitKnown"/> says it is known.</summary>
    public bool HasEightBitBytes { get; }

    /// <summary>Whether the content was scanned (memory, or a seekable stream); otherwise it is checked while it is sent.</summary>
    public bool EightBitKnown { get; }

    /// <summary>Whether the header section (up to the first empty line) has bytes above 0x7F: UTF-8 headers (RFC 6532).</summary>
    public bool HeadersHaveEightBitBytes { get; }

    /// <summary>Whether it can be read again for a further transaction (memory, a seekable stream, or a writer, called again).</summary>
    public bool CanRepeat => _pipe is null && (_stream is null || _streamStart >= 0);

    /// <summary>
    /// The content's size as one BDAT chunk, known before it is sent for memory and for a scanned seekable stream:
    /// the bytes as they are for a binary body (BINARYMIME), else with every line break made CRLF. -1 when unknown
    /// (a pipe, a writer, an unseekable stream): such content goes in chunks of a bounded size.
    /// </summary>
    public long WholeChunkLength(bool binary)
    {
        if (_stream is not null)
        {
            return binary ? Length : _textChunkLength;
        }

        if (_pipe is not null || _writer is not null)
        {
            return -1;
        }

        if (binary)
        {
            return Length;
        }

        var chunk = new ChunkSizer();
        foreach (ReadOnlyMemory<byte> segment in _sequence)
        {
            chunk.Add(segment.Span);
        }

        return chunk.Length;
    }

    internal ReadOnlySequence<byte> Sequence => _sequence;

    internal Stream? Stream => _stream;

    internal PipeReader? Pipe => _pipe;

    internal Func<Stream, CancellationToken, ValueTask>? Writer => _writer;

    internal long StreamStart => _streamStart;

    private static bool ScanForEightBit(ReadOnlySequence<byte> sequence)
    {
        foreach (ReadOnlyMemory<byte> segment in sequence)
        {
            if (segment.Span.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Finds whether a message's header section (up to its first empty line) has bytes above 0x7F, fed in pieces.</summary>
internal struct HeaderScanner
{
    private const int InLine = 0;
    private const int AfterLineFeed = 1;
    private const int AfterLineFeedReturn = 2;
    private const int Done = 3;

    // The message starts as if after a line feed: an empty first line means no headers.
    private int _state = AfterLineFeed;

    public HeaderScanner()
    {
    }

    public bool FoundEightBit { get; private set; }

    public readonly bool Ended => _state == Done;

    public void Scan(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (_state == Done)
            {
                return;
            }

            FoundEightBit |= b >= 0x80;
            _state = b switch
            {
                (byte)'\n' => _state is AfterLineFeed or AfterLineFeedReturn ? Done : AfterLineFeed,
                (byte)'\r' => _state == AfterLineFeed ? AfterLineFeedReturn : InLine,
                _ => InLine,
            };
        }
    }
}

/// <summary>
/// Measures a text body as BDAT sends it (every CRLF, lone CR and lone LF made CRLF) fed in pieces: the same count
/// <see cref="BdatLineBreakNormalizer"/> writes, with a CR ending one piece and an LF starting the next one line break.
/// </summary>
internal struct ChunkSizer
{
    private bool _afterCarriageReturn;

    /// <summary>The normalized length of what was added.</summary>
    public long Length { get; private set; }

    public void Add(ReadOnlySpan<byte> piece)
    {
        if (piece.IsEmpty)
        {
            return;
        }

        // A fresh normalizer counts a CR ending the previous piece as CRLF and an LF starting this one as CRLF too:
        // together they are one CRLF, two bytes fewer.
        Length += default(BdatLineBreakNormalizer).GetNormalizedLength(piece) - (_afterCarriageReturn && piece[0] == (byte)'\n' ? 2 : 0);
        _afterCarriageReturn = piece[^1] == (byte)'\r';
    }
}

/// <summary>A block of content and whether nothing follows it.</summary>
/// <param name="Data">The bytes; empty only at the end.</param>
/// <param name="IsLast">Whether it ends the content.</param>
internal readonly record struct ContentBlock(ReadOnlySequence<byte> Data, bool IsLast);

/// <summary>
/// Reads a <see cref="MessageContent"/> a block at a time, knowing which block is the last (BDAT LAST needs
/// it). One per connection, reused: memory is sliced with no copy and no allocation, a stream is read one
/// block ahead into pooled buffers, a pipe is read as it fills, a writer's output is read from its pipe.
/// </summary>
internal sealed class ContentReader
{
    private WrittenContent? _written;
    private bool _writing;
    private PipeReader? _pipe;
    private MessageContent _content;
    private ReadOnlySequence<byte> _rest;
    private byte[]? _current;
    private byte[]? _ahead;
    private int _aheadLength = -1;
    private SequencePosition? _pipeConsumed;
    private bool _pipeEnded;

    /// <summary>Starts reading from the content's beginning (a seekable stream goes back to where it started, a writer is started).</summary>
    public void Start(in MessageContent content, CancellationToken cancellationToken)
    {
        _content = content;
        _rest = content.Sequence;
        _aheadLength = -1;
        _pipeConsumed = null;
        _pipeEnded = false;
        _pipe = content.Pipe;
        if (content.Stream is { } stream && content.StreamStart >= 0)
        {
            stream.Position = content.StreamStart;
        }

        if (content.Writer is { } writer)
        {
            _written ??= new WrittenContent();
            _written.Start(writer, cancellationToken);
            _writing = true;
            _pipe = _written.Reader;
        }
    }

    /// <summary>The next block of at most <paramref name="max"/> bytes; the previous block must be done with.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ContentBlock> ReadAsync(int max, CancellationToken cancellationToken)
    {
        if (_pipe is { } pipe)
        {
            return await ReadPipeAsync(pipe, max, cancellationToken).ConfigureAwait(false);
        }

        if (_content.Stream is { } stream)
        {
            return await ReadStreamAsync(stream, max, cancellationToken).ConfigureAwait(false);
        }

        ReadOnlySequence<byte> block = _rest.Slice(0, Math.Min(_rest.Length, max));
        _rest = _rest.Slice(block.Length);
        return new ContentBlock(block, _rest.IsEmpty);
    }

    /// <summary>Lets go of what was read: a pipe is advanced past it, pooled buffers are returned, a writer is awaited.</summary>
    public ValueTask FinishAsync()
    {
        if (_pipe is { } pipe && _pipeConsumed is { } consumed)
        {
            pipe.AdvanceTo(consumed);
        }

        _pipeConsumed = null;
        _pipe = null;
        ReturnBuffer(ref _current);
        ReturnBuffer(ref _ahead);
        _content = default;
        _rest = default;
        if (!_writing)
        {
            return default;
        }

        // The writer's pipe is completed (stopping a writer still writing) and reset for the next message.
        _writing = false;
        return _written!.FinishAsync();
    }

    private async ValueTask<ContentBlock> ReadStreamAsync(Stream stream, int max, CancellationToken cancellationToken)
    {
        if (_current is null || _current.Length < max)
        {
            ReturnBuffer(ref _current);
            ReturnBuffer(ref _ahead);
            _current = ArrayPool<byte>.Shared.Rent(max);
            _ahead = ArrayPool<byte>.Shared.Rent(max);
            _aheadLength = -1;
        }

        int length;
        if (_aheadLength >= 0)
        {
            (_current, _ahead) = (_ahead, _current);
            length = _aheadLength;
        }
        else
        {
            length = await stream.ReadAtLeastAsync(_current.AsMemory(0, max), max, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }

        // One block ahead: a block is the last when the stream has nothing after it.
        _aheadLength = length < max ? 0 : await stream.ReadAtLeastAsync(_ahead!.AsMemory(0, max), max, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return new ContentBlock(new ReadOnlySequence<byte>(_current!, 0, length), _aheadLength == 0);
    }

    private async ValueTask<ContentBlock> ReadPipeAsync(PipeReader pipe, int max, CancellationToken cancellationToken)
    {
        if (_pipeConsumed is { } consumed)
        {
            pipe.AdvanceTo(consumed);
            _pipeConsumed = null;
        }

        if (_pipeEnded)
        {
            return new ContentBlock(default, IsLast: true);
        }

        while (true)
        {
            ReadResult read = await pipe.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            if (read.IsCanceled)
            {
                // CancelPendingRead is not the writer completing: what arrived is part of the message, never all of
                // it, so it must not be ended (a terminator or BDAT LAST would deliver it truncated).
                pipe.AdvanceTo(buffer.Start);
                throw new OperationCanceledException("The content pipe's read was cancelled before its writer completed: the message is incomplete.");
            }

            bool completed = read.IsCompleted;
            if (buffer.Length >= max || completed)
            {
                // A block is the last only when the writer has completed and nothing follows it; a block of exactly
                // max bytes is taken at once (waiting for more could wait on a writer paused by a full pipe).
                ReadOnlySequence<byte> block = buffer.Slice(0, Math.Min(buffer.Length, max));
                _pipeConsumed = block.End;
                _pipeEnded = completed && block.Length == buffer.Length;
                return new ContentBlock(block, _pipeEnded);
            }

            pipe.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static void ReturnBuffer(ref byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }
    }
}
