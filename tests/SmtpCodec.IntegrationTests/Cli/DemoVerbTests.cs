using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Cli;

/// <summary><c>smtpcodec demo</c> run as a process, as a new user would.</summary>
public sealed class DemoVerbTests
{
    [Fact]
    public async Task TheDemoReplaysTheArticlesSessionLineByLine()
    {
        CliResult result = await CliProcess.RunAsync(null, "demo");

        Assert.True(result.ExitCode == 0, result.Stderr);
        string[] lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        string[] expectedInOrder =
        [
            "S: 220 sink.localhost ESMTP SmtpCodec sink",
            "C: EHLO client.local",
            "S: 250-STARTTLS",
            "C: STARTTLS",
            "S: 220 2.0.0 Ready to start TLS",
            "C: EHLO client.local",
            "S: 250-PIPELINING",
            "S: 250-SIZE 28319744",
            "S: 250-AUTH LOGIN PLAIN XOAUTH2",
            "S: 250-ENHANCEDSTATUSCODES",
            "S: 250-8BITMIME",
            "S: 250-DSN",
            "S: 250 SMTPUTF8",
            "C: AUTH PLAIN",
            "S: 334",
            "C: AHlvdUBpY2xvdWQuY29tAGVtYWlsLW1lLXlvdXItZmF2b3JpdGUtY29sb3I=",
            "S: 235 2.7.0 Authentication successful",
            "C: RCPT TO:<friend@gmail.com>",
            "C: DATA",
            "C: From: \"You\" <you@icloud.com>",
            "C: To: \"Friend\" <friend@gmail.com>",
            "C: ",
            "C: This is an extremely important message.",
            "C: .",
            "C: QUIT",
            "S: 221 2.0.0 Bye",
        ];
        int at = 0;
        foreach (string expected in expectedInOrder)
        {
            int found = Array.FindIndex(lines, at, l => l == expected);
            Assert.True(found >= 0, $"'{expected}' is missing after line {at} of:\n{result.StdoutText}");
            at = found + 1;
        }

        Assert.Contains(lines, l => l.StartsWith("C: MAIL FROM:<you@icloud.com>", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("S: 250 2.0.0 Ok: queued as ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("* TLS established: Tls1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HelpExplainsTheDemo()
    {
        CliResult result = await CliProcess.RunAsync(null, "demo", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("article", result.StdoutText, StringComparison.Ordinal);
    }
}
