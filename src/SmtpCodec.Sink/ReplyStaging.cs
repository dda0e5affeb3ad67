using System.Buffers;

namespace SmtpCodec.Sink;

/// <summary>
/// Replies written but not yet due (the sink's reply delay): a growable buffer that hands out its
/// oldest bytes first. Reused for the whole session, so it allocates only when it grows.
/// </summary>
internal sealed class ReplyStaging : IBufferWriter<byte>
{
    private byte[] _buffer = new byte[4096];

    public int Count { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Count);

    public void Advance(int count) => Count += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Grow(sizeHint);
        return _buffer.AsMemory(Count);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Grow(sizeHint);
        return _buffer.AsSpan(Count);
    }

    /// <summary>Forgets the oldest <paramref name="count"/> bytes (they were sent).</summary>
    public void RemovePrefix(int count)
    {
        _buffer.AsSpan(count, Count - count).CopyTo(_buffer);
        Count -= count;
    }

    private void Grow(int sizeHint)
    {
        int needed = Count + Math.Max(sizeHint, 1);
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        }
    }
}
