using System.Buffers;
using System.Text;

namespace SmtpCodec.Replies;

/// <summary>
/// The text of one reply line: the bytes after the code and its separator, without the line end. A span
/// unless the line crossed segments of a sequence.
/// </summary>
public readonly ref struct SmtpReplyLine
{
    internal SmtpReplyLine(ReadOnlySpan<byte> span, ReadOnlySequence<byte> sequence, bool hasSequence, bool isLast)
    {
        TextSpan = span;
        TextSequence = sequence;
        HasTextSequence = hasSequence;
        IsLast = isLast;
    }

    /// <summary>The text; empty when <see cref="HasTextSequence"/>.</summary>
    public ReadOnlySpan<byte> TextSpan { get; }

    /// <summary>The text when it crossed segments; empty otherwise.</summary>
    public ReadOnlySequence<byte> TextSequence { get; }

    /// <summary>Whether the text is in <see cref="TextSequence"/>.</summary>
    public bool HasTextSequence { get; }

    /// <summary>Whether this is the reply's last line.</summary>
    public bool IsLast { get; }

    /// <summary>The text's length in bytes.</summary>
    public int Length => HasTextSequence ? (int)TextSequence.Length : TextSpan.Length;

    /// <summary>Copies the text into <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="Length"/> bytes.</param>
    /// <returns>The bytes copied.</returns>
    public int CopyTo(Span<byte> destination)
    {
        if (HasTextSequence)
        {
            TextSequence.CopyTo(destination);
        }
        else
        {
            TextSpan.CopyTo(destination);
        }

        return Length;
    }

    /// <summary>The text decoded as UTF-8, invalid bytes as U+FFFD. Allocates.</summary>
    /// <returns>The text.</returns>
    public string GetString() => HasTextSequence ? Encoding.UTF8.GetString(TextSequence) : Encoding.UTF8.GetString(TextSpan);

    /// <summary>Whether the text equals <paramref name="other"/> byte for byte.</summary>
    /// <param name="other">The bytes to compare with.</param>
    /// <returns>True when equal.</returns>
    public bool TextEquals(ReadOnlySpan<byte> other)
    {
        if (!HasTextSequence)
        {
            return TextSpan.SequenceEqual(other);
        }

        if (TextSequence.Length != other.Length)
        {
            return false;
        }

        foreach (ReadOnlyMemory<byte> segment in TextSequence)
        {
            if (!segment.Span.SequenceEqual(other.Slice(0, segment.Length)))
            {
                return false;
            }

            other = other.Slice(segment.Length);
        }

        return true;
    }
}
