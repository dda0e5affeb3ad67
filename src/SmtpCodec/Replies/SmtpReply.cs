using System.Buffers;
using System.Text;

namespace SmtpCodec.Replies;

/// <summary>
/// One SMTP reply as read by <see cref="SmtpReplyReader"/>: its code, its enhanced status code (RFC 3463,
/// from the first line) and its lines, all referring to the input bytes. Strings exist only on request.
/// </summary>
/// <remarks>
/// Like <c>Utf8JsonReader</c>'s values, the raw bytes are a span (<see cref="RawSpan"/>) unless the reply
/// crossed segments of a sequence (<see cref="HasRawSequence"/>, <see cref="RawSequence"/>).
/// </remarks>
public readonly ref struct SmtpReply
{
    private readonly ReadOnlySpan<byte> _span;
    private readonly ReadOnlySequence<byte> _sequence;

    private SmtpReply(ReadOnlySpan<byte> span, ReadOnlySequence<byte> sequence, bool hasSequence, int code, int lineCount)
    {
        _span = span;
        _sequence = sequence;
        HasRawSequence = hasSequence;
        Code = code;
        LineCount = lineCount;
    }

    /// <summary>The three-digit reply code; 0 for a default value.</summary>
    public int Code { get; }

    /// <summary>How many lines the reply has (1 for a single-line reply).</summary>
    public int LineCount { get; }

    /// <summary>The enhanced status code at the start of the first line's text, when it is there (RFC 3463, RFC 2034).</summary>
    /// <remarks>
    /// Parsed from the first line each time it is read (a few nanoseconds), so that a read costs nothing for the
    /// replies whose enhanced code nobody asks for (EHLO's, 354, most 250s in a pipelined batch).
    /// </remarks>
    public EnhancedStatusCode? EnhancedStatusCode => Code == 0 ? null : HasRawSequence ? FromSequenceText(_sequence, Code) : Replies.EnhancedStatusCode.FromReplyText(FirstText(_span), Code);

    /// <summary>Whether the raw bytes crossed segments (then read <see cref="RawSequence"/>, not <see cref="RawSpan"/>).</summary>
    public bool HasRawSequence { get; }

    /// <summary>The whole reply as sent, line ends included; empty when <see cref="HasRawSequence"/>.</summary>
    public ReadOnlySpan<byte> RawSpan => _span;

    /// <summary>The whole reply as sent when it crossed segments; empty otherwise.</summary>
    public ReadOnlySequence<byte> RawSequence => _sequence;

    /// <summary>2yz: the requested action completed.</summary>
    public bool IsPositiveCompletion => Code / 100 == 2;

    /// <summary>3yz: the server waits for more (354 after DATA, 334 in AUTH).</summary>
    public bool IsPositiveIntermediate => Code / 100 == 3;

    /// <summary>4yz: a transient failure; the same command may succeed later.</summary>
    public bool IsTransientNegative => Code / 100 == 4;

    /// <summary>5yz: a permanent failure.</summary>
    public bool IsPermanentNegative => Code / 100 == 5;

    /// <summary>The lines' texts (after the code and its separator, without line ends), in order.</summary>
    /// <returns>An enumerator usable in <see langword="foreach"/>.</returns>
    public SmtpReplyLineEnumerator GetLines() => new(_span, _sequence, HasRawSequence);

    /// <summary>The first line's text.</summary>
    public SmtpReplyLine FirstLine
    {
        get
        {
            SmtpReplyLineEnumerator lines = GetLines();
            return lines.MoveNext() ? lines.Current : default;
        }
    }

    /// <summary>The lines' texts joined with LF, decoded as UTF-8 (invalid bytes become U+FFFD). Allocates.</summary>
    /// <returns>The text of the reply.</returns>
    public string GetText()
    {
        if (LineCount == 1)
        {
            return FirstLine.GetString();
        }

        var text = new StringBuilder();
        foreach (SmtpReplyLine line in GetLines())
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            text.Append(line.GetString());
        }

        return text.ToString();
    }

    /// <summary>The code and the text, e.g. <c>250 2.1.0 Ok</c>, lines joined with LF. Allocates.</summary>
    /// <returns>A readable form of the reply.</returns>
    public override string ToString() => Code == 0 ? "" : $"{Code} {GetText()}";

    internal static SmtpReply FromSpan(ReadOnlySpan<byte> raw, int code, int lineCount) => new(raw, default, false, code, lineCount);

    internal static SmtpReply FromSequence(ReadOnlySequence<byte> raw, int code, int lineCount) => new(default, raw, true, code, lineCount);

    private static EnhancedStatusCode? FromSequenceText(ReadOnlySequence<byte> raw, int code)
    {
        // An enhanced code is at most "5.999.999" and a following space: copying its bytes costs nothing.
        Span<byte> head = stackalloc byte[16];
        ReadOnlySequence<byte> firstLine = raw.Slice(0, Math.Min(raw.Length, head.Length));
        firstLine.CopyTo(head);
        ReadOnlySpan<byte> copied = head.Slice(0, (int)firstLine.Length);
        int end = copied.IndexOfAny((byte)'\r', (byte)'\n');
        if (end >= 0)
        {
            copied = copied.Slice(0, end);
        }

        return Replies.EnhancedStatusCode.FromReplyText(copied.Length > 4 ? copied.Slice(4) : default, code);
    }

    private static ReadOnlySpan<byte> FirstText(ReadOnlySpan<byte> raw)
    {
        int lf = raw.IndexOf((byte)'\n');
        ReadOnlySpan<byte> line = lf < 0 ? raw : raw.Slice(0, lf);
        return SmtpReplyLineEnumerator.TextOf(line);
    }
}
