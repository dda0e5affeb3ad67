using System.Text;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>
/// An unseekable stream of numbered 80-byte CRLF lines made on the fly (never held whole), every
/// tenth starting with a dot, so that a peer's copy can be checked line by line.
/// </summary>
internal sealed class GeneratedLinesStream(long length) : Stream
{
    public const int LineLength = 80;
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    /// <summary>Line <paramref name="index"/> without its CRLF.</summary>
    public static string Line(long index) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(index % 10 == 0 ? '.' : 'L')}ine {index:D10} ").PadRight(LineLength - 2, 'z');

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, length - _position);
        Span<byte> line = stackalloc byte[LineLength];
        for (int written = 0; written < n;)
        {
            long index = (_position + written) / LineLength;
            int within = (int)((_position + written) % LineLength);
            Encoding.ASCII.GetBytes(Line(index), line);
            line[^2] = (byte)'\r';
            line[^1] = (byte)'\n';
            int take = Math.Min(LineLength - within, n - written);
            line.Slice(within, take).CopyTo(buffer[written..]);
            written += take;
        }

        _position += n;
        return n;
    }

    public override void Flush() => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
