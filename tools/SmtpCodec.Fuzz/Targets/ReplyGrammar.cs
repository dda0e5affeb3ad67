using SmtpCodec.Replies;

namespace SmtpCodec.Fuzz.Targets;

/// <summary>
/// An independent, byte-by-byte statement of what a reply the reader returns must be (RFC 5321 section 4.2,
/// RFC 3463 and docs/architecture.md, "Codec rules"), against which every reply found by fuzzing is checked.
/// </summary>
public static class ReplyGrammar
{
    /// <summary>Checks a reply and its raw bytes.</summary>
    /// <param name="reply">The reply as read.</param>
    /// <param name="raw">Its raw bytes.</param>
    /// <param name="options">The limits it was read under.</param>
    /// <exception cref="InvariantViolationException">The reply breaks the grammar or a limit, or its fields disagree with its bytes.</exception>
    public static void Validate(SmtpReply reply, ReadOnlySpan<byte> raw, SmtpReplyReaderOptions options)
    {
        Check.That(raw.Length <= options.MaxReplyLength, "a reply fits MaxReplyLength");
        Check.That(raw[^1] == (byte)'\n', "a reply ends with a line end");
        Check.That(reply.Code is >= 200 and <= 559 && reply.Code / 10 % 10 <= 5, $"reply code {reply.Code} is 2-5, 0-5, 0-9");

        int lines = 0;
        int start = 0;
        var lineTexts = reply.GetLines();
        while (start < raw.Length)
        {
            int lf = raw[start..].IndexOf((byte)'\n') + start;
            ReadOnlySpan<byte> line = raw[start..(lf + 1)];
            bool last = lf == raw.Length - 1;
            ValidateLine(line, reply.Code, last, options);
            ReadOnlySpan<byte> text = TextOf(line);

            Check.That(lineTexts.MoveNext(), "GetLines yields every line");
            SmtpReplyLine given = lineTexts.Current;
            Check.That(given.TextEquals(text), $"line {lines}'s text is {Check.Show(text)}");
            Check.Equal(last, given.IsLast, $"line {lines}'s IsLast");
            if (lines == 0)
            {
                Check.Equal(Enhanced(text, reply.Code), reply.EnhancedStatusCode, "the enhanced status code of the first line (RFC 3463, class equal to the code's first digit, then SP or the end)");
                Check.That(reply.FirstLine.TextEquals(text), "FirstLine is the first line's text");
            }

            lines++;
            start = lf + 1;
        }

        Check.That(!lineTexts.MoveNext(), "GetLines yields no more lines than there are");
        Check.Equal(lines, reply.LineCount, "LineCount");
        Check.That(lines <= options.MaxLines, "a reply fits MaxLines");
        _ = reply.ToString();
    }

    private static void ValidateLine(ReadOnlySpan<byte> line, int code, bool last, SmtpReplyReaderOptions options)
    {
        Check.That(line.Length <= options.MaxLineLength, "a line fits MaxLineLength");
        Check.That(line.Length >= 4, "a line holds a code and a line end");
        int lineCode = ((line[0] - '0') * 100) + ((line[1] - '0') * 10) + (line[2] - '0');
        Check.That(IsDigit(line[0]) && IsDigit(line[1]) && IsDigit(line[2]) && lineCode == code, "every line carries the reply's code (RFC 5321 section 4.2.1)");

        bool crLf = line.Length >= 2 && line[^2] == (byte)'\r';
        Check.That(crLf || !options.RequireCrLf, "a line ends in CRLF when RequireCrLf is set");
        int end = line.Length - (crLf ? 2 : 1);
        if (end == 3)
        {
            Check.That(last, "a code alone ends the reply");
            return;
        }

        byte separator = line[3];
        Check.That(last ? separator == (byte)' ' : separator == (byte)'-', "'-' separates every line but the last, SP the last");
        foreach (byte b in line[4..end])
        {
            Check.That(b >= 0x20 ? b != 0x7F : b == (byte)'\t', "reply text holds no control byte but HT");
        }
    }

    private static ReadOnlySpan<byte> TextOf(ReadOnlySpan<byte> line)
    {
        int end = line.Length - (line.Length >= 2 && line[^2] == (byte)'\r' ? 2 : 1);
        return end > 4 ? line[4..end] : [];
    }

    /// <summary>class "." subject "." detail at the start of the text, 1-3 digits each, then SP or the end.</summary>
    private static EnhancedStatusCode? Enhanced(ReadOnlySpan<byte> text, int code)
    {
        if (text.Length < 5 || text[0] is not ((byte)'2' or (byte)'4' or (byte)'5') || text[0] - '0' != code / 100 || text[1] != (byte)'.')
        {
            return null;
        }

        int position = 2;
        if (!Number(text, ref position, out int subject) || position >= text.Length || text[position] != (byte)'.')
        {
            return null;
        }

        position++;
        if (!Number(text, ref position, out int detail) || (position < text.Length && text[position] != (byte)' '))
        {
            return null;
        }

        return new EnhancedStatusCode(code / 100, subject, detail);
    }

    private static bool Number(ReadOnlySpan<byte> text, ref int position, out int value)
    {
        int start = position;
        value = 0;
        while (position < text.Length && IsDigit(text[position]))
        {
            value = (value * 10) + (text[position] - '0');
            position++;
            if (position - start > 3)
            {
                return false;
            }
        }

        return position > start;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;
}
