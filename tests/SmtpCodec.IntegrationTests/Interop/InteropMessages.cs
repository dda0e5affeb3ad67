using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>Messages the interop tests send, and what a peer should report for them.</summary>
internal static class InteropMessages
{
    /// <summary>A small message with CRLF line ends, a leading-dot line and a unique Message-ID.</summary>
    public static byte[] Small(string subject) => Encoding.UTF8.GetBytes(
        $"From: sender@example.com\r\nTo: friend@example.org\r\nSubject: {subject}\r\n" +
        $"Message-ID: <{Guid.NewGuid():N}@interop.test>\r\n\r\n" +
        "Hello from SmtpCodec.\r\n.a line that starts with a dot\r\n..and one with two\r\nThe end.\r\n");

    /// <summary>A message of about <paramref name="bodyLines"/> 78-byte lines, every seventh starting with a dot.</summary>
    public static byte[] Lines(string subject, int bodyLines)
    {
        var text = new StringBuilder(bodyLines * 80 + 200);
        text.Append(CultureInfo.InvariantCulture, $"From: sender@example.com\r\nTo: friend@example.org\r\nSubject: {subject}\r\n\r\n");
        for (int i = 0; i < bodyLines; i++)
        {
            text.Append(i % 7 == 0 ? '.' : 'L')
                .Append(CultureInfo.InvariantCulture, $"ine {i:D8} ")
                .Append('x', 62)
                .Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    public static string Sha256(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>The same content with every CRLF made LF, as Postfix's tools and smtp-sink's dump write it.</summary>
    public static string WithLineFeeds(byte[] message) => Encoding.UTF8.GetString(message).Replace("\r\n", "\n", StringComparison.Ordinal);
}
