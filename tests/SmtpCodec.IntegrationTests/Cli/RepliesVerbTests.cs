using System.Text;
using System.Text.Json;
using SmtpCodec.Tests.Infrastructure;
using SmtpCodec.Tests.Replies;

namespace SmtpCodec.IntegrationTests.Cli;

/// <summary><c>smtpcodec replies</c> run as a process, on files and on stdin.</summary>
public sealed class RepliesVerbTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("smtpcodec-replies-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task TheArticlesSessionFromStdinPrintsOneJsonObjectPerReply()
    {
        byte[] capture = Encoding.ASCII.GetBytes(
            ReplyFixtures.ICloudEhlo + "334\r\n235 2.7.0 Authentication successful\r\n250 2.1.0 0k\r\n250 2.1.5 0k\r\n250 2.0.0 0k: queued as 343FD5003CE\r\n");

        CliResult result = await CliProcess.RunAsync(capture, "replies");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        string[] lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.Equal(
            """{"code":250,"enhanced":null,"lines":["smtp.mail.me.com","PIPELINING","SIZE 28319744","ETRN","AUTH LOGIN PLAIN ATOKEN ATOKEN2 WSTOKEN WETOKEN XOAUTH2","ENHANCEDSTATUSCODES","8BITMIME","DSN","SMTPUTF8"]}""",
            lines[0]);
        Assert.Equal("""{"code":334,"enhanced":null,"lines":[""]}""", lines[1]);
        Assert.Equal("""{"code":235,"enhanced":"2.7.0","lines":["2.7.0 Authentication successful"]}""", lines[2]);
        Assert.Equal("""{"code":250,"enhanced":"2.0.0","lines":["2.0.0 0k: queued as 343FD5003CE"]}""", lines[5]);
    }

    [Fact]
    public async Task AFileAndStdinGiveTheSameOutput()
    {
        string path = Path.Combine(_directory, "capture.bin");
        await File.WriteAllBytesAsync(path, Encoding.ASCII.GetBytes(ReplyFixtures.PostfixEhlo + "250 2.1.0 Ok\r\n"));

        CliResult fromFile = await CliProcess.RunAsync(null, "replies", path);
        CliResult fromStdin = await CliProcess.RunAsync(await File.ReadAllBytesAsync(path), "replies", "-");

        Assert.Equal(0, fromFile.ExitCode);
        Assert.Equal(fromStdin.StdoutText, fromFile.StdoutText);
        Assert.Equal(2, fromFile.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task InvalidInputPrintsTheRepliesBeforeItThenTheErrorAndExits1()
    {
        CliResult result = await CliProcess.RunAsync("250 ok\r\n250-a\r\n251 b\r\n"u8.ToArray(), "replies");

        Assert.Equal(1, result.ExitCode);
        string[] lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("""{"code":250,"enhanced":null,"lines":["ok"]}""", lines[0]);
        Assert.Equal("""{"error":"MismatchedContinuationCode","offset":8}""", lines[1]);
        Assert.Contains("MismatchedContinuationCode", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TruncatedInputIsAnErrorAtTheStartOfTheUnfinishedReply()
    {
        CliResult result = await CliProcess.RunAsync("250 ok\r\n250-more\r\n250 unfini"u8.ToArray(), "replies");

        Assert.Equal(1, result.ExitCode);
        Assert.EndsWith("""{"error":"TruncatedReply","offset":8}""" + "\n", result.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmptyInputPrintsNothingAndExits0()
    {
        CliResult result = await CliProcess.RunAsync([], "replies");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task InvalidUtf8BecomesTheReplacementCharacterAndTextIsValidJson()
    {
        CliResult result = await CliProcess.RunAsync([.. "550 5.1.1 caf"u8, 0xE9, .. " \"quoted\" \\ <tag>\r\n"u8], "replies");

        Assert.Equal(0, result.ExitCode);
        using JsonDocument json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("5.1.1 caf\uFFFD \"quoted\" \\ <tag>", json.RootElement.GetProperty("lines")[0].GetString());
        Assert.Equal("5.1.1", json.RootElement.GetProperty("enhanced").GetString());
    }

    [Fact]
    public async Task ALargeCaptureStreamsThroughEveryReply()
    {
        var capture = new StringBuilder();
        for (int i = 0; i < 5000; i++)
        {
            capture.Append("250-2.1.5 line one\r\n250 2.1.5 recipient ").Append(i).Append(" ok\r\n");
        }

        CliResult result = await CliProcess.RunAsync(Encoding.ASCII.GetBytes(capture.ToString()), "replies");

        Assert.Equal(0, result.ExitCode);
        string[] lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5000, lines.Length);
        Assert.Equal("""{"code":250,"enhanced":"2.1.5","lines":["2.1.5 line one","2.1.5 recipient 4999 ok"]}""", lines[^1]);
    }

    [Fact]
    public async Task AMissingFileIsAUsageError()
    {
        CliResult result = await CliProcess.RunAsync(null, "replies", Path.Combine(_directory, "absent"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cannot read", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpExplainsTheVerb()
    {
        CliResult result = await CliProcess.RunAsync(null, "replies", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("FILE", result.StdoutText, StringComparison.Ordinal);
    }
}
