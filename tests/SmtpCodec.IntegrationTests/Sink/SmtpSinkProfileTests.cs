using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Sink;

/// <summary>What the sink's EHLO lists, and in which order: the tables' (default) or the seed article's.</summary>
public sealed class SmtpSinkProfileTests
{
    [Fact]
    public async Task TheArticleProfileListsTheArticlesCapabilitiesInItsOrderAfterTls()
    {
        await using SmtpSink sink = SmtpSink.Start(SmtpSinkOptions.Article with { Users = new Dictionary<string, string> { ["you@icloud.com"] = "pw" } });
        var transcript = new List<string>();

        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, new SmtpConnectionOptions
        {
            EhloName = "dzfrias.local",
            Tls = new SmtpTlsOptions { PinnedCertificate = sink.Certificate, TargetHost = "localhost" },
            Transcript = line => transcript.Add(line.ToString()),
        }))
        {
            await connection.QuitAsync();
        }

        // The article's list (iCloud), less ETRN and the ATOKEN, ATOKEN2, WSTOKEN, WETOKEN mechanisms the sink does not implement.
        string[] expected =
        [
            "S: 250-sink.localhost",
            "S: 250-PIPELINING",
            "S: 250-SIZE 28319744",
            "S: 250-AUTH LOGIN PLAIN XOAUTH2",
            "S: 250-ENHANCEDSTATUSCODES",
            "S: 250-8BITMIME",
            "S: 250-DSN",
            "S: 250 SMTPUTF8",
        ];
        int secondEhlo = transcript.FindLastIndex(l => l.StartsWith("C: EHLO", StringComparison.Ordinal));
        Assert.Equal(expected, transcript.Skip(secondEhlo + 1).Take(expected.Length));
    }

    [Fact]
    public async Task TheArticleProfileOffersStartTlsWhereAuthStandsBeforeTls()
    {
        await using SmtpSink sink = SmtpSink.Start(SmtpSinkOptions.Article);
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string ehlo = await client.CommandAsync("EHLO dzfrias.local");

        Assert.Equal(
            "250-sink.localhost\n250-PIPELINING\n250-SIZE 28319744\n250-STARTTLS\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250-DSN\n250 SMTPUTF8",
            ehlo);
    }

    [Fact]
    public async Task TheDefaultProfileFollowsTheTablesWithHelpLast()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.Limits,
            MaxRecipients = 150,
        });
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string ehlo = await client.CommandAsync("EHLO raw.test");

        Assert.Equal(
            "250-sink.localhost\n250-PIPELINING\n250-SIZE 36700160\n250-8BITMIME\n250-CHUNKING\n250-SMTPUTF8\n250-DSN\n250-ENHANCEDSTATUSCODES\n250-LIMITS RCPTMAX=150\n250 HELP",
            ehlo);
    }

    [Fact]
    public async Task ExtensionsAddedToTheArticleProfileFollowItsList()
    {
        await using SmtpSink sink = SmtpSink.Start(SmtpSinkOptions.Article with { Extensions = SmtpSinkOptions.Article.Extensions | EhloExtensions.Chunking });
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string ehlo = await client.CommandAsync("EHLO raw.test");

        Assert.EndsWith("\n250-SMTPUTF8\n250 CHUNKING", ehlo, StringComparison.Ordinal);
    }

    [Fact]
    public void TheArticleProfileAdvertisesOnlyWhatTheSinkImplements()
    {
        // Starting validates the list: ETRN, which the article has, is refused; the preset passes.
        Assert.Throws<ArgumentException>(() => SmtpSink.Start(SmtpSinkOptions.Article with { Extensions = SmtpSinkOptions.Article.Extensions | EhloExtensions.Etrn }));
        Assert.Throws<ArgumentException>(() => SmtpSink.Start(SmtpSinkOptions.Article with { AuthMechanisms = SaslMechanismFlags.Plain | SaslMechanismFlags.Gssapi }));
    }
}
