using System.IO.Pipelines;

namespace SmtpCodec.Tests.Infrastructure;

/// <summary>A duplex stream made of a read side and a write side, e.g. two ends of in-memory pipes.</summary>
internal sealed class DuplexStream(Stream readSide, Stream writeSide) : Stream
{
    /// <summary>Two connected ends: what one writes, the other reads.</summary>
    public static (Stream Client, Stream Server) CreatePair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new DuplexStream(toClient.Reader.AsStream(), toServer.Writer.AsStream()),
                new DuplexStream(toServer.Reader.AsStream(), toClient.Writer.AsStream()));
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => readSide.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => readSide.ReadAsync(buffer, cancellationToken);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => readSide.ReadAsync(buffer, offset, count, cancellationToken);
    public override void Write(byte[] buffer, int offset, int count) => writeSide.Write(buffer, offset, count);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => writeSide.WriteAsync(buffer, cancellationToken);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => writeSide.WriteAsync(buffer, offset, count, cancellationToken);
    public override void Flush() => writeSide.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => writeSide.FlushAsync(cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            readSide.Dispose();
            writeSide.Dispose();
        }

        base.Dispose(disposing);
    }
}
