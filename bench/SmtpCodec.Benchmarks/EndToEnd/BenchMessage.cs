using System.Text;
using MimeKit;

namespace SmtpCodec.Benchmarks.EndToEnd;

/// <summary>The message every contender sends: headers and 76-character lines, CRLF line ends, of a given size.</summary>
internal static class BenchMessage
{
    public const string From = "sender@example.com";
    public const string To = "recipient@example.org";

    public static byte[] Create(int size)
    {
        var text = new StringBuilder(size + 80);
        text.Append("From: Sender <").Append(From).Append(">\r\n")
            .Append("To: Recipient <").Append(To).Append(">\r\n")
            .Append("Subject: SmtpCodec end-to-end benchmark\r\n")
            .Append("Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n")
            .Append("Message-ID: <e2e.benchmark@example.com>\r\n")
            .Append("MIME-Version: 1.0\r\n")
            .Append("Content-Type: text/plain; charset=us-ascii\r\n")
            .Append("\r\n");
        for (int line = 0; text.Length + 78 <= size; line++)
        {
            text.Append((char)('a' + (line % 26)), 76).Append("\r\n");
        }

        int rest = size - text.Length;
        if (rest > 2)
        {
            text.Append('z', rest - 2).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary><paramref name="count"/> copies of the message of <paramref name="size"/> bytes, each parsed as a <see cref="MimeMessage"/>.</summary>
    public static async Task<MimeMessage[]> ParseAsync(int size, int count)
    {
        byte[] bytes = Create(size);
        var copies = new MimeMessage[count];
        for (int i = 0; i < count; i++)
        {
            copies[i] = await MimeMessage.LoadAsync(new MemoryStream(bytes)).ConfigureAwait(false);
        }

        return copies;
    }

    /// <summary>The same message with LF line ends, as smtp-source -F wants it (it sends each line with CRLF).</summary>
    public static byte[] WithLfLineEnds(byte[] message) =>
        Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(message).Replace("\r\n", "\n", StringComparison.Ordinal));
}
