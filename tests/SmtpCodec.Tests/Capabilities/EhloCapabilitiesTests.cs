using System.Buffers;
using System.Text;
using SmtpCodec.Capabilities;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;
using SmtpCodec.Tests.Infrastructure;
using SmtpCodec.Tests.Replies;

namespace SmtpCodec.Tests.Capabilities;

public sealed class EhloCapabilitiesTests
{
    [Fact]
    public void TheArticlesICloudListGivesEveryKeywordSizeAndMechanisms()
    {
        EhloCapabilities caps = Read(ReplyFixtures.ICloudEhlo);

        Assert.Equal("smtp.mail.me.com", caps.GetGreetingDomain());
        Assert.Equal(
            EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.Etrn | EhloExtensions.Auth | EhloExtensions.EnhancedStatusCodes
            | EhloExtensions.EightBitMime | EhloExtensions.Dsn | EhloExtensions.SmtpUtf8,
            caps.Extensions);
        Assert.Equal(28319744UL, caps.SizeLimit);
        Assert.Equal(SaslMechanismFlags.Login | SaslMechanismFlags.Plain | SaslMechanismFlags.XOAuth2, caps.AuthMechanisms);
        Assert.Equal(["ATOKEN", "ATOKEN2", "WSTOKEN", "WETOKEN"], UnknownMechanisms(caps));
        Assert.Equal("LOGIN PLAIN ATOKEN ATOKEN2 WSTOKEN WETOKEN XOAUTH2", Encoding.ASCII.GetString(caps.GetParameters(EhloKeyword.Auth)));
        Assert.False(caps.Supports(EhloKeyword.StartTls));
        Assert.Equal(0, caps.UnknownKeywordCount);
    }

    [Fact]
    public void PostfixSmtpSinksEmptyLastLineIsIgnoredAndTheOldAuthFormIsRead()
    {
        EhloCapabilities caps = Read(ReplyFixtures.PostfixSmtpSinkEhlo);

        Assert.Equal("sink.example.com", caps.GetGreetingDomain());
        Assert.True(caps.Supports(EhloKeyword.Pipelining));
        Assert.True(caps.Supports(EhloKeyword.SmtpUtf8));
        Assert.Equal(SaslMechanismFlags.Plain | SaslMechanismFlags.Login, caps.AuthMechanisms);
        Assert.Equal(0, caps.UnknownAuthMechanismCount);
        Assert.Equal(2, caps.UnknownKeywordCount);
        Assert.Equal("XCLIENT", Encoding.ASCII.GetString(caps.GetUnknownKeyword(0)));
        Assert.Equal("NAME HELO", Encoding.ASCII.GetString(caps.GetUnknownParameters(0)));
        Assert.Equal("XFORWARD", Encoding.ASCII.GetString(caps.GetUnknownKeyword(1)));
        Assert.Equal("NAME ADDR PROTO HELO", Encoding.ASCII.GetString(caps.GetUnknownParameters(1)));
    }

    [Theory]
    [InlineData(ReplyFixtures.PostfixEhlo, "mail.example.com", EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.Vrfy | EhloExtensions.Etrn | EhloExtensions.StartTls | EhloExtensions.EnhancedStatusCodes | EhloExtensions.EightBitMime | EhloExtensions.Dsn | EhloExtensions.SmtpUtf8 | EhloExtensions.Chunking, 10240000UL)]
    [InlineData(ReplyFixtures.EximEhlo, "mx.example.org", EhloExtensions.Size | EhloExtensions.Limits | EhloExtensions.EightBitMime | EhloExtensions.Pipelining | EhloExtensions.Chunking | EhloExtensions.StartTls | EhloExtensions.Help, 52428800UL)]
    [InlineData(ReplyFixtures.GmailLikeEhlo, "smtp.gmail.com", EhloExtensions.Size | EhloExtensions.EightBitMime | EhloExtensions.Auth | EhloExtensions.EnhancedStatusCodes | EhloExtensions.Pipelining | EhloExtensions.Chunking | EhloExtensions.SmtpUtf8, 35882577UL)]
    [InlineData(ReplyFixtures.ExchangeLikeEhlo, "BN8PR03CA0001.outlook.office365.com", EhloExtensions.Size | EhloExtensions.Pipelining | EhloExtensions.Dsn | EhloExtensions.EnhancedStatusCodes | EhloExtensions.Auth | EhloExtensions.EightBitMime | EhloExtensions.BinaryMime | EhloExtensions.Chunking | EhloExtensions.SmtpUtf8, 157286400UL)]
    [InlineData(ReplyFixtures.AiosmtpdEhlo, "mail.example.com", EhloExtensions.Size | EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8 | EhloExtensions.Auth | EhloExtensions.Help, 33554432UL)]
    [InlineData(ReplyFixtures.NodeSmtpServerEhlo, "localhost", EhloExtensions.Pipelining | EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8 | EhloExtensions.Auth | EhloExtensions.StartTls, null)]
    public void RealServersListsAreRead(string ehlo, string domain, EhloExtensions extensions, ulong? size)
    {
        EhloCapabilities caps = Read(ehlo);

        Assert.Equal(domain, caps.GetGreetingDomain());
        Assert.Equal(extensions, caps.Extensions);
        Assert.Equal(size, caps.SizeLimit);
    }

    [Fact]
    public void GmailLikeMechanismsKeepTheUnknownOnes()
    {
        EhloCapabilities caps = Read(ReplyFixtures.GmailLikeEhlo);

        Assert.Equal(SaslMechanismFlags.Login | SaslMechanismFlags.Plain | SaslMechanismFlags.XOAuth2 | SaslMechanismFlags.OAuthBearer, caps.AuthMechanisms);
        Assert.Equal(["PLAIN-CLIENTTOKEN", "XOAUTH"], UnknownMechanisms(caps));
    }

    [Fact]
    public void LimitsDeliverByAndMtPriorityAreRead()
    {
        EhloCapabilities caps = Read("250-mx.example\r\n250-LIMITS MAILMAX=1000 RCPTMAX=50 RCPTDOMAINMAX=3 FOO=bar\r\n250-DELIVERBY 240\r\n250-MT-PRIORITY MIXER\r\n250 SIZE 18446744073709551615\r\n");

        Assert.Equal(1000UL, caps.MailMax);
        Assert.Equal(50UL, caps.RcptMax);
        Assert.Equal(3UL, caps.RcptDomainMax);
        Assert.Equal(240UL, caps.DeliverByMinimum);
        Assert.Equal("MIXER", Encoding.ASCII.GetString(caps.GetParameters(EhloKeyword.MtPriority)));
        Assert.Equal(ulong.MaxValue, caps.SizeLimit);
    }

    [Fact]
    public void ABareSizeIsOfferedWithoutALimit()
    {
        EhloCapabilities caps = Read("250-mx\r\n250-size\r\n250 deliverby\r\n");

        Assert.True(caps.Supports(EhloKeyword.Size));
        Assert.Null(caps.SizeLimit);
        Assert.True(caps.Supports(EhloKeyword.DeliverBy));
        Assert.Null(caps.DeliverByMinimum);
    }

    [Theory]
    [InlineData("250-mx\r\n250-SIZE 1000\r\n250 DELIVERBY 240\r\n", 1000UL, 240UL)]
    [InlineData("250-mx\r\n250-SIZE 1000\r\n250 DELIVERBY\r\n", 1000UL, null)]
    [InlineData("250-mx\r\n250-DELIVERBY 60\r\n250 SIZE\r\n", null, 60UL)]
    public void DeliverByIsReadWithOrWithoutAMinimumAndLeavesSizeAlone(string ehlo, ulong? size, ulong? minimum)
    {
        EhloCapabilities caps = Read(ehlo);

        Assert.True(caps.SupportsAll(EhloExtensions.Size | EhloExtensions.DeliverBy));
        Assert.Equal(size, caps.SizeLimit);
        Assert.Equal(minimum, caps.DeliverByMinimum);
    }

    [Fact]
    public void AKeywordOfKindNumberIsCheckedButNeverTakenForTheDeliverByMinimum()
    {
        // No row has the kind "number" today: give it to ETRN, as a future row of the table would.
        var caps = new EhloCapabilities
        {
            ParameterSyntaxOf = keyword => keyword == EhloKeyword.Etrn ? EhloParameterSyntax.Number : EhloKeywords.GetParameterSyntax(keyword),
        };

        Assert.Equal(SmtpCodecError.None, caps.Read(ReadOne("250-mx\r\n250-ETRN 240\r\n250 SIZE 1000\r\n"u8.ToArray())));
        Assert.Null(caps.DeliverByMinimum);
        Assert.Equal(1000UL, caps.SizeLimit);
        Assert.Equal("240", Encoding.ASCII.GetString(caps.GetParameters(EhloKeyword.Etrn)));

        Assert.Equal(SmtpCodecError.InvalidCapabilityParameter, caps.Read(ReadOne("250-mx\r\n250 ETRN soon\r\n"u8.ToArray())));
        Assert.Equal(1, caps.ErrorLine);
    }

    [Fact]
    public void KeywordsAreCaseInsensitive()
    {
        EhloCapabilities caps = Read("250-mx\r\n250-pipelining\r\n250-Auth plain Cram-Md5\r\n250 8bitMIME\r\n");

        Assert.True(caps.SupportsAll(EhloExtensions.Pipelining | EhloExtensions.Auth | EhloExtensions.EightBitMime));
        Assert.Equal(SaslMechanismFlags.Plain | SaslMechanismFlags.CramMd5, caps.AuthMechanisms);
    }

    [Theory]
    [InlineData("250-mx\r\n250 SIZE 18446744073709551616\r\n", SmtpCodecError.NumberOverflow, 1)]
    [InlineData("250-mx\r\n250 SIZE 99999999999999999999999\r\n", SmtpCodecError.NumberOverflow, 1)]
    [InlineData("250-mx\r\n250-PIPELINING\r\n250 SIZE ten\r\n", SmtpCodecError.InvalidCapabilityParameter, 2)]
    [InlineData("250-mx\r\n250 SIZE -1\r\n", SmtpCodecError.InvalidCapabilityParameter, 1)]
    [InlineData("250-mx\r\n250 LIMITS RCPTMAX=lots\r\n", SmtpCodecError.InvalidCapabilityParameter, 1)]
    [InlineData("250-mx\r\n250 LIMITS MAILMAX=\r\n", SmtpCodecError.InvalidCapabilityParameter, 1)]
    [InlineData("250-mx\r\n250 LIMITS RCPTMAX=18446744073709551616\r\n", SmtpCodecError.NumberOverflow, 1)]
    [InlineData("250-mx\r\n250 DELIVERBY soon\r\n", SmtpCodecError.InvalidCapabilityParameter, 1)]
    [InlineData("250-mx\r\n250 PIPELINÏNG\r\n", SmtpCodecError.InvalidCapabilityKeyword, 1)]
    [InlineData("550 5.7.1 go away\r\n", SmtpCodecError.NotAnEhloReply, 0)]
    [InlineData("220 mx ESMTP\r\n", SmtpCodecError.NotAnEhloReply, 0)]
    public void BadListsGiveAnErrorAndTheLine(string ehlo, SmtpCodecError error, int line)
    {
        var caps = new EhloCapabilities();
        Assert.Equal(error, caps.Read(ReadOne(Encoding.UTF8.GetBytes(ehlo))));
        Assert.Equal(line, caps.ErrorLine);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(70)]
    public void KeywordsOfAnyLengthAreReadWholeAndCheckedToTheirLastByte(int length)
    {
        // Keywords are found 32 bytes at a time: lengths around that boundary must read the same.
        string keyword = "X" + new string('K', length - 1);
        EhloCapabilities caps = Read($"250-mx\r\n250-  {keyword}\tfirst second \r\n250 {keyword}\r\n");
        Assert.Equal(2, caps.UnknownKeywordCount);
        Assert.Equal(keyword, Encoding.ASCII.GetString(caps.GetUnknownKeyword(0)));
        Assert.Equal("first second", Encoding.ASCII.GetString(caps.GetUnknownParameters(0)));
        Assert.Equal(keyword, Encoding.ASCII.GetString(caps.GetUnknownKeyword(1)));

        var bad = new EhloCapabilities();
        Assert.Equal(SmtpCodecError.InvalidCapabilityKeyword, bad.Read(ReadOne(Encoding.UTF8.GetBytes($"250-mx\r\n250 {keyword[..^1]}\u00CF params\r\n"))));
        Assert.Equal(1, bad.ErrorLine);
    }

    [Fact]
    public void AMultiSegmentReplyGivesTheSameCapabilities()
    {
        byte[] bytes = Encoding.ASCII.GetBytes(ReplyFixtures.ICloudEhlo);
        var caps = new EhloCapabilities();
        var reader = new SmtpReplyReader(Segments.OneBytePerSegment(bytes), isFinalBlock: true);
        Assert.Equal(OperationStatus.Done, reader.Read(out SmtpReply reply));
        Assert.True(reply.HasRawSequence);

        Assert.Equal(SmtpCodecError.None, caps.Read(reply));
        Assert.Equal("smtp.mail.me.com", caps.GetGreetingDomain());
        Assert.Equal(28319744UL, caps.SizeLimit);
        Assert.Equal(["ATOKEN", "ATOKEN2", "WSTOKEN", "WETOKEN"], UnknownMechanisms(caps));
    }

    [Fact]
    public void ReadingAgainForgetsThePreviousList()
    {
        var caps = new EhloCapabilities();
        caps.Read(ReadOne(Encoding.ASCII.GetBytes(ReplyFixtures.GmailLikeEhlo)));

        caps.Read(ReadOne("250-after.tls\r\n250 PIPELINING\r\n"u8.ToArray()));

        Assert.Equal(EhloExtensions.Pipelining, caps.Extensions);
        Assert.Equal(SaslMechanismFlags.None, caps.AuthMechanisms);
        Assert.Null(caps.SizeLimit);
        Assert.Equal(0, caps.UnknownAuthMechanismCount);
        Assert.Equal("after.tls", caps.GetGreetingDomain());
    }

    [Fact]
    public void AManyLineListGrowsStorageAndKeepsEveryKeyword()
    {
        var text = new StringBuilder("250-big.example\r\n");
        for (int i = 0; i < 200; i++)
        {
            text.Append(CultureInfoInvariant($"250-X-VENDOR-{i} {new string('p', 40)}\r\n"));
        }

        text.Append("250 AUTH " + string.Join(' ', Enumerable.Range(0, 50).Select(i => $"MECH-{i}")) + "\r\n");
        EhloCapabilities caps = Read(text.ToString());

        Assert.Equal(200, caps.UnknownKeywordCount);
        Assert.Equal("X-VENDOR-199", Encoding.ASCII.GetString(caps.GetUnknownKeyword(199)));
        Assert.Equal(50, caps.UnknownAuthMechanismCount);
        Assert.Equal("MECH-49", Encoding.ASCII.GetString(caps.GetUnknownAuthMechanism(49)));
        Assert.Throws<ArgumentOutOfRangeException>(() => caps.GetUnknownKeyword(200));
    }

    private static string CultureInfoInvariant(FormattableString text) => FormattableString.Invariant(text);

    private static EhloCapabilities Read(string ehlo)
    {
        var caps = new EhloCapabilities();
        SmtpCodecError error = caps.Read(ReadOne(Encoding.UTF8.GetBytes(ehlo)));
        Assert.Equal(SmtpCodecError.None, error);
        return caps;
    }

    private static SmtpReply ReadOne(byte[] bytes)
    {
        var reader = new SmtpReplyReader(bytes, isFinalBlock: true);
        Assert.Equal(OperationStatus.Done, reader.Read(out SmtpReply reply));
        return reply;
    }

    private static string[] UnknownMechanisms(EhloCapabilities caps) =>
        Enumerable.Range(0, caps.UnknownAuthMechanismCount).Select(i => Encoding.ASCII.GetString(caps.GetUnknownAuthMechanism(i))).ToArray();
}
