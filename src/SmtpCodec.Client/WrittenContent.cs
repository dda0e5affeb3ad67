using System.Buffers;
using System.IO.Pipelines;

namespace SmtpCodec.Client;

/// <summary>
/// Content a writer callback writes (a <c>MimeMessage.WriteTo</c>, a template renderer): the callback runs beside
/// the transaction and writes into a pipe of its own, which <see cref="ContentReader"/> reads like any pipe, so the
/// one DATA writer and the one BDAT writer stuff or chunk it as it comes. Memory stays bounded by the pipe's pause
/// threshold whatever the message's size. The callback's exception completes the pipe with it: the reader throws it
/// before the end of data, and the transaction fails as it does when a stream or a pipe source fails.
/// One per connection, reused.
/// </summary>
internal sealed class WrittenContent
{
    // The writer pauses when this much waits unread; a DATA block is 32 KiB and a BDAT chunk 64 KiB, so a full one
    // is always there to take when the writer is paused.
    private static readonly PipeOptions Options = new(
        pauseWriterThreshold: 256 * 1024,
        resumeWriterThreshold: 128 * 1024,
        minimumSegmentSize: 16 * 1024,
        useSynchronizationContext: false);

    private readonly Pipe _pipe = new(Options);
    private Task? _writing;
    private CancellationTokenSource? _cancel;

    /// <summary>The pipe the content is read from while a writer runs.</summary>
    public PipeReader Reader => _pipe.Reader;

    /// <summary>Starts the writer on the thread pool; its output fills <see cref="Reader"/>.</summary>
    public void Start(Func<Stream, CancellationToken, ValueTask> writer, CancellationToken cancellationToken)
    {
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        CancellationToken token = _cancel.Token;
        PipeWriter output = _pipe.Writer;
        _writing = Task.Run(() => WriteAsync(writer, output, token), CancellationToken.None);
    }

    /// <summary>
    /// Ends the content: the reader lets go (a writer still writing, because the transaction failed or was refused,
    /// sees its stream throw and is cancelled), the writer is awaited, and the pipe is made ready for the next message.
    /// </summary>
    public async ValueTask FinishAsync()
    {
        if (_writing is not { } writing)
        {
            return;
        }

        await _pipe.Reader.CompleteAsync().ConfigureAwait(false);
        await _cancel!.CancelAsync().ConfigureAwait(false);
        await writing.ConfigureAwait(false);
        _cancel.Dispose();
        _cancel = null;
        _writing = null;
        _pipe.Reset();
    }

    private static async Task WriteAsync(Func<Stream, CancellationToken, ValueTask> writer, PipeWriter output, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            await using var stream = new ContentWriterStream(output);
            await writer(stream, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
        }

        // With the writer's failure, the reader throws it instead of seeing the content end: never a terminator
        // or a BDAT LAST after part of a message.
        await output.CompleteAsync(failure).ConfigureAwait(false);
    }
}

/// <summary>
/// The stream a content writer writes into: bytes go straight into the pipe's memory and are flushed (handed to
/// the reader) a block at a time, not on every write as <c>PipeWriter.AsStream()</c> does. Write-only.
/// </summary>
internal sealed class ContentWriterStream(PipeWriter output) : Stream
{
    private const int FlushThreshold = 16 * 1024;
    private int _unflushed;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        // A synchronous writer runs on a thread of its own (WrittenContent.Start), so waiting for the flush here
        // blocks no reader: memory stays bounded for it too.
        output.Write(buffer);
        _unflushed += buffer.Length;
        if (_unflushed >= FlushThreshold)
        {
            FlushAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        output.Write(buffer.Span);
        _unflushed += buffer.Length;
        if (_unflushed >= FlushThreshold)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Flush()
    {
        // Nothing to do synchronously: see Write.
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        _unflushed = 0;
        FlushResult result = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted || result.IsCanceled)
        {
            // The transaction stopped reading (it failed or was refused): the writer must stop too.
            throw new OperationCanceledException("The message's transaction ended before its writer finished.");
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
