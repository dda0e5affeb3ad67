using System.Buffers;

namespace SmtpCodec.Fuzz.Support;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that hands out exactly the span asked for (at least one byte), ending at a
/// guard page, and checks <see cref="Advance"/>: a codec that writes past what it asked for, or advances past it,
/// is caught. What was advanced is collected in <see cref="WrittenSpan"/>.
/// </summary>
public sealed class GuardedBufferWriter : IBufferWriter<byte>
{
    private readonly GuardedBuffer _buffer;
    private readonly ArrayBufferWriter<byte> _written = new();
    private int _handedOut = -1;

    /// <summary>Creates a writer over guarded slot <paramref name="slot"/>.</summary>
    /// <param name="slot">The guarded slot its spans come from.</param>
    public GuardedBufferWriter(int slot) => _buffer = GuardedBuffers.Get(slot);

    /// <summary>Everything advanced so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _written.WrittenSpan;

    /// <inheritdoc/>
    public void Advance(int count)
    {
        if (count == 0)
        {
            return;
        }

        Check.That(count > 0 && count <= _handedOut, $"Advance({count}) stays within the {_handedOut} bytes last handed out");
        _written.Write(_buffer.Tail(_handedOut).Span[..count]);
        _handedOut = -1;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        _handedOut = Math.Max(sizeHint, 1);
        return _buffer.Tail(_handedOut);
    }

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
}
