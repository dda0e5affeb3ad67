using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace SmtpCodec.Cli.Verbs;

/// <summary>
/// HOST:PORT on the command line (<c>send --server</c>, <c>blast --server</c>, <c>sink --listen</c>), with
/// <c>[v6]:PORT</c> for IPv6 literals. A usage error says what is wrong ("missing port", "port 99999 is out of
/// range (1-65535)") and names the option once (docs/architecture.md, "The smtpcodec command").
/// </summary>
internal static class HostPort
{
    public const int MaxPort = 65535;

    /// <summary>
    /// Splits <paramref name="text"/>; false with <paramref name="problem"/>, a whole sentence that starts with
    /// <paramref name="option"/> and the text as given.
    /// </summary>
    public static bool TryParse(string option, string text, int minimumPort, out string host, out int port, [NotNullWhen(false)] out string? problem)
    {
        string? what = Split(text, minimumPort, out host, out port);
        problem = what is null ? null : $"{option} '{text}': {what}.";
        return what is null;
    }

    /// <summary>What is wrong with the text, or null.</summary>
    private static string? Split(string text, int minimumPort, out string host, out int port)
    {
        host = "";
        port = 0;
        string portText;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return "an IPv6 address in brackets lacks its ']', expected [ADDRESS]:PORT, e.g. [::1]:25";
            }

            host = text[1..close];
            string rest = text[(close + 1)..];
            if (rest.Length == 0)
            {
                return "missing port, expected [ADDRESS]:PORT, e.g. [::1]:25";
            }

            if (rest[0] != ':')
            {
                return "expected [ADDRESS]:PORT, e.g. [::1]:25";
            }

            portText = rest[1..];
        }
        else
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return text.Trim().Length == 0 ? "missing host and port, expected HOST:PORT" : "missing port, expected HOST:PORT, e.g. 127.0.0.1:25";
            }

            if (text.IndexOf(':', colon + 1) >= 0)
            {
                return "an IPv6 address goes in brackets, e.g. [::1]:25";
            }

            host = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (host.Trim().Length == 0)
        {
            return "missing host, expected HOST:PORT";
        }

        if (portText.Length == 0)
        {
            return "missing port, expected HOST:PORT";
        }

        if (!portText.All(char.IsAsciiDigit))
        {
            return $"port '{portText}' is not a number";
        }

        // Digits only: a value too long for an int is out of range as well.
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port < minimumPort || port > MaxPort)
        {
            port = 0;
            return FormattableString.Invariant($"port {portText} is out of range ({minimumPort}-{MaxPort})");
        }

        return null;
    }
}
