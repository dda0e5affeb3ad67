using System.Buffers;

namespace SmtpCodec.Replies;

/// <summary>Walks the lines of a validated reply without allocating.</summary>
public ref struct SmtpReplyLineEnumerator
{
    private ReadOnlySpan<byte> _span;
    private ReadOnlySequence<byte> _sequence;
    private readonly bool _hasSequence;

    internal SmtpReplyLineEnumerator(ReadOnlySpan<byte> span, ReadOnlySequence<byte> sequence, bool hasSequence)
    {
        _span = span;
        _sequence = sequence;
        _hasSequence = hasSequence;
        Current = default;
    }

    /// <summary>The current line.</summary>
    public SmtpReplyLine Current { get; private set; }

    /// <summary>Returns this enumerator, for <see langword="foreach"/>.</summary>
    /// <returns>This enumerator.</returns>
    public readonly SmtpReplyLineEnumerator GetEnumerator() => this;

    /// <summary>Moves to the next line.</summary>
    /// <returns>False after the last line.</returns>
    public bool MoveNext()
    {
        if (!_hasSequence)
        {
            if (_span.IsEmpty)
            {
                return false;
            }

            int lf = _span.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = lf < 0 ? _span : _span.Slice(0, lf);
            _span = lf < 0 ? default : _span.Slice(lf + 1);
            Current = new SmtpReplyLine(TextOf(line), default, false, _span.IsEmpty);
            return true;
        }

        if (_sequence.IsEmpty)
        {
            return false;
        }

        SequencePosition? lfAt = _sequence.PositionOf((byte)'\n');
        ReadOnlySequence<byte> whole = lfAt is null ? _sequence : _sequence.Slice(0, lfAt.Value);
        _sequence = lfAt is null ? default : _sequence.Slice(_sequence.GetPosition(1, lfAt.Value));
        ReadOnlySequence<byte> text = TextOf(whole);
        Current = text.IsSingleSegment
            ? new SmtpReplyLine(text.FirstSpan, default, false, _sequence.IsEmpty)
            : new SmtpReplyLine(default, text, true, _sequence.IsEmpty);
        return true;
    }

    /// <summary>The text of a line given without its LF: after "ddd-" or "ddd ", without a trailing CR.</summary>
    internal static ReadOnlySpan<byte> TextOf(ReadOnlySpan<byte> line)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
        }

        return line.Length > 4 ? line.Slice(4) : default;
    }

    private static ReadOnlySequence<byte> TextOf(ReadOnlySequence<byte> line)
    {
        long length = line.Length;
        if (length > 0 && EndsWithCr(line))
        {
            length--;
        }

        return length > 4 ? line.Slice(4, length - 4) : default;
    }

    private static bool EndsWithCr(ReadOnlySequence<byte> line)
    {
        ReadOnlySequence<byte> last = line.Slice(line.Length - 1);
        return last.FirstSpan[0] == (byte)'\r';
    }
}
