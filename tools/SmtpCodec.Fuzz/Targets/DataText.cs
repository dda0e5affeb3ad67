using System.Buffers;
using SmtpCodec.Data;

namespace SmtpCodec.Fuzz.Targets;

/// <summary>Plain, obviously correct statements of what DATA and BDAT encoding do, to check the fast codec against.</summary>
public static class DataText
{
    private static ReadOnlySpan<byte> CrLf => "\r\n"u8;

    /// <summary>Every CRLF, lone CR and lone LF made CRLF (docs/architecture.md, "Codec rules": <c>\r\r\n</c> is two breaks).</summary>
    /// <param name="input">Any bytes.</param>
    /// <returns>The normalized bytes.</returns>
    public static byte[] NormalizeLineBreaks(ReadOnlySpan<byte> input)
    {
        var output = new ArrayBufferWriter<byte>(input.Length + 16);
        for (int i = 0; i < input.Length; i++)
        {
            if (input[i] == (byte)'\r')
            {
                output.Write(CrLf);
                if (i + 1 < input.Length && input[i + 1] == (byte)'\n')
                {
                    i++;
                }
            }
            else if (input[i] == (byte)'\n')
            {
                output.Write(CrLf);
            }
            else
            {
                output.Write(input.Slice(i, 1));
            }
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>What unstuffing gives back for a message: its line breaks made CRLF, and a CRLF added when it does not end with one.</summary>
    /// <param name="message">The message given to the stuffer.</param>
    /// <returns>The content the unstuffer must return.</returns>
    public static byte[] ExpectedContent(ReadOnlySpan<byte> message)
    {
        byte[] normalized = NormalizeLineBreaks(message);
        return normalized.Length == 0 || normalized.AsSpan().EndsWith(CrLf) ? normalized : [.. normalized, (byte)'\r', (byte)'\n'];
    }

    /// <summary>Stuffed data up to its terminator, unstuffed line by line: a leading dot dropped from each line (RFC 5321 section 4.5.2).</summary>
    /// <param name="data">The data before the terminator's <c>.</c> CRLF (so ending with CRLF, or empty); no bare CR or LF.</param>
    /// <returns>The content.</returns>
    public static byte[] Unstuff(ReadOnlySpan<byte> data)
    {
        var output = new ArrayBufferWriter<byte>(data.Length + 1);
        while (!data.IsEmpty)
        {
            int end = data.IndexOf(CrLf);
            ReadOnlySpan<byte> line = end < 0 ? data : data[..(end + 2)];
            output.Write(line.StartsWith("."u8) ? line[1..] : line);
            data = data[line.Length..];
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>Where the first terminator ends: the data's start counts as after a CRLF (RFC 5321 section 4.1.1.4).</summary>
    /// <param name="data">Bytes received after the 354.</param>
    /// <returns>The offset just past the first <c>CRLF . CRLF</c>, or -1.</returns>
    public static int TerminatorEnd(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith(".\r\n"u8))
        {
            return 3;
        }

        int at = data.IndexOf("\r\n.\r\n"u8);
        return at < 0 ? -1 : at + 5;
    }

    /// <summary>Whether every CR is followed by LF and every LF preceded by CR.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>True when there is no bare CR or LF.</returns>
    public static bool HasOnlyCrLf(ReadOnlySpan<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            if ((bytes[i] == (byte)'\r' && (i + 1 == bytes.Length || bytes[i + 1] != (byte)'\n'))
                || (bytes[i] == (byte)'\n' && (i == 0 || bytes[i - 1] != (byte)'\r')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The longest line of stuffed output, CRLF excluded, for the 998-octet check (RFC 5321 section 4.5.3.1.6).</summary>
    /// <param name="message">The message given to the stuffer.</param>
    /// <returns>The length of its longest line once stuffed.</returns>
    public static int LongestStuffedLine(ReadOnlySpan<byte> message)
    {
        ReadOnlySpan<byte> normalized = NormalizeLineBreaks(message);
        int longest = 0;
        while (!normalized.IsEmpty)
        {
            int end = normalized.IndexOf(CrLf);
            ReadOnlySpan<byte> line = end < 0 ? normalized : normalized[..end];
            longest = Math.Max(longest, line.Length + (line.StartsWith("."u8) ? 1 : 0));
            normalized = end < 0 ? [] : normalized[(end + 2)..];
        }

        return longest;
    }

    /// <summary>Stuffs a whole message with <see cref="DotStuffer"/> in one call.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The stuffed bytes with the terminator.</returns>
    public static byte[] Stuff(ReadOnlySpan<byte> message)
    {
        var output = new ArrayBufferWriter<byte>();
        var stuffer = new DotStuffer();
        Check.Equal(OperationStatus.Done, stuffer.Stuff(message, output, isFinalBlock: true), "stuffing with the default options");
        return output.WrittenSpan.ToArray();
    }
}
