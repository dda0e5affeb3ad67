using System.Buffers;
using System.Text;

namespace SmtpCodec.Client;

/// <summary>
/// Passes command bytes to the pipe and keeps a copy of what was written, so that the transcript shows
/// exactly the bytes on the wire. Used only while a transcript callback is set.
/// </summary>
internal sealed class WireTap : IBufferWriter<byte>
{
    private readonly ArrayBufferWriter<byte> _copy = new(256);
    private IBufferWriter<byte> _inner = null!;
    private Memory<byte> _lastMemory;

    /// <summary>Starts tapping <paramref name="inner"/>; content keeps a partial last line for the next block.</summary>
    public IBufferWriter<byte> Attach(IBufferWriter<byte> inner, bool keepPartialLine = false)
    {
        _inner = inner;
        if (!keepPartialLine)
        {
            _copy.ResetWrittenCount();
        }

        return this;
    }

    public void Advance(int count)
    {
        _copy.Write(_lastMemory.Span[..count]);
        _inner.Advance(count);
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => _lastMemory = _inner.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => (_lastMemory = _inner.GetMemory(sizeHint)).Span;

    /// <summary>The first line written (a BDAT command before its raw chunk); the rest is dropped.</summary>
    public string TakeFirstLine()
    {
        ReadOnlySpan<byte> written = _copy.WrittenSpan;
        int end = written.IndexOf("\r\n"u8);
        string line = Encoding.UTF8.GetString(end < 0 ? written : written[..end]);
        _copy.ResetWrittenCount();
        return line;
    }

    /// <summary>The complete lines written so far, without their line ends; a partial last line stays.</summary>
    public IReadOnlyList<string> TakeLines()
    {
        ReadOnlySpan<byte> written = _copy.WrittenSpan;
        int end = written.LastIndexOf("\r\n"u8);
        if (end < 0)
        {
            return [];
        }

        string[] lines = Encoding.UTF8.GetString(written[..end]).Split("\r\n");
        byte[] rest = written[(end + 2)..].ToArray();
        _copy.ResetWrittenCount();
        _copy.Write(rest);
        return lines;
    }
}
