using System.Globalization;

namespace SmtpCodec.Benchmarks.Micro;

/// <summary>
/// The anchor's capability parse, written the way a string-based client parses an EHLO reply (MailKit's
/// SmtpClient keeps its own parser private): split the response text on LF, upper-case each line, match
/// keywords with StartsWith, parse SIZE with uint.TryParse, collect AUTH mechanisms in a set.
/// </summary>
internal sealed class StringSplitEhloParser
{
    private readonly HashSet<string> _mechanisms = new(StringComparer.Ordinal);

    /// <summary>Parses the response text (lines joined with LF, as MailKit gives it) and summarizes it.</summary>
    public long Parse(string response)
    {
        _mechanisms.Clear();
        long size = 0;
        bool pipelining = false, chunking = false, smtpUtf8 = false, dsn = false;
        string[] lines = response.Split('\n');
        for (int i = 1; i < lines.Length; i++)
        {
            string capability = lines[i].Trim().ToUpperInvariant();
            if (capability.StartsWith("AUTH", StringComparison.Ordinal) && capability.Length > 4 && capability[4] is ' ' or '=')
            {
                foreach (string mechanism in capability[5..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    _mechanisms.Add(mechanism);
                }
            }
            else if (capability.StartsWith("SIZE", StringComparison.Ordinal))
            {
                string[] parts = capability.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length > 1 && uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint limit))
                {
                    size = limit;
                }
            }
            else
            {
                switch (capability)
                {
                    case "PIPELINING": pipelining = true; break;
                    case "CHUNKING": chunking = true; break;
                    case "SMTPUTF8": smtpUtf8 = true; break;
                    case "DSN": dsn = true; break;
                }
            }
        }

        return Summary(size, pipelining, chunking, smtpUtf8, dsn, _mechanisms.Contains("PLAIN"), _mechanisms.Contains("XOAUTH2"));
    }

    /// <summary>One number both sides produce, so the benchmark can check they agree.</summary>
    public static long Summary(long size, bool pipelining, bool chunking, bool smtpUtf8, bool dsn, bool plain, bool xoauth2) =>
        (size << 8) | (pipelining ? 1L : 0) | (chunking ? 2L : 0) | (smtpUtf8 ? 4L : 0) | (dsn ? 8L : 0) | (plain ? 16L : 0) | (xoauth2 ? 32L : 0);
}
