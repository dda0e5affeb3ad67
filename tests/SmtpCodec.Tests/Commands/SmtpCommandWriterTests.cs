using System.Buffers;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;

namespace SmtpCodec.Tests.Commands;

public sealed class SmtpCommandWriterTests
{
    [Theory]
    [InlineData("mail.example.com")]
    [InlineData("localhost")]
    [InlineData("[192.0.2.1]")]
    [InlineData("[IPv6:2001:db8::1]")]
    [InlineData("[IPv6:::ffff:192.0.2.1]")]
    [InlineData("[IPv6:2001:db8:0:0:0:0:0:1]")]
    [InlineData("[x-tag:some-content]")]
    public void EhloTakesADomainOrAnAddressLiteral(string domain)
    {
        Assert.Equal($"EHLO {domain}\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteEhlo(w, domain)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-bad.example")]
    [InlineData("bad-.example")]
    [InlineData("a..b")]
    [InlineData("under_score.example")]
    [InlineData("[192.0.2.256]")]
    [InlineData("[192.0.2]")]
    [InlineData("[IPv6:1::2::3]")]
    [InlineData("[IPv6:1:2:3:4:5:6:7]")]
    [InlineData("[IPv6:1:2:3:4:5:6:7:8:9]")]
    [InlineData("[IPv6:12345::1]")]
    [InlineData("[IPv6:1:2:3:4:5:6:7::]")]
    [InlineData("[]")]
    [InlineData("ex ample.com")]
    public void EhloRefusesAnInvalidDomain(string domain)
    {
        (CommandWriteResult result, int written) = CommandFixtures.Fail(w => SmtpCommandWriter.WriteEhlo(w, domain));

        Assert.Equal(SmtpCodecError.InvalidDomain, result.Error);
        Assert.Equal("domain", result.ArgumentName);
        Assert.Equal(0, written);
    }

    [Fact]
    public void HeloTakesADomainButNotAnAddressLiteral()
    {
        Assert.Equal("HELO client.example\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteHelo(w, "client.example")));
        Assert.Equal(SmtpCodecError.InvalidDomain, CommandFixtures.Fail(w => SmtpCommandWriter.WriteHelo(w, "[192.0.2.1]")).Result.Error);
    }

    [Theory]
    [InlineData("you@icloud.com")]
    [InlineData("first.last+tag@sub.example.org")]
    [InlineData("\"john smith\"@example.com")]
    [InlineData("\"quoted\\\"dq\"@example.com")]
    [InlineData("user@[192.0.2.7]")]
    [InlineData("!#$%&'*+-/=?^_`{|}~@example.com")]
    public void MailFromWritesTheReversePathInAngleBrackets(string address)
    {
        Assert.Equal($"MAIL FROM:<{address}>\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteMailFrom(w, address)));
    }

    [Fact]
    public void AnEmptyReversePathIsTheNullPath()
    {
        Assert.Equal("MAIL FROM:<>\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteMailFrom(w, "")));
    }

    [Theory]
    [InlineData("plainaddress")]
    [InlineData("@example.com")]
    [InlineData("a@")]
    [InlineData("a..b@example.com")]
    [InlineData(".a@example.com")]
    [InlineData("a.@example.com")]
    [InlineData("a b@example.com")]
    [InlineData("<a@example.com>")]
    [InlineData("a@b@example.com")]
    [InlineData("\"unterminated@example.com")]
    [InlineData("a@-example.com")]
    public void AnAddressOutsideTheMailboxSyntaxIsRefused(string address)
    {
        (CommandWriteResult result, int written) = CommandFixtures.Fail(w => SmtpCommandWriter.WriteMailFrom(w, address));

        Assert.Equal(SmtpCodecError.InvalidMailbox, result.Error);
        Assert.Equal("reversePath", result.ArgumentName);
        Assert.Equal(0, written);
    }

    [Fact]
    public void ALocalPartOver64OctetsIsRefused()
    {
        string ok = new string('a', 64) + "@example.com";
        string tooLong = new string('a', 65) + "@example.com";

        Assert.Equal($"MAIL FROM:<{ok}>\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteMailFrom(w, ok)));
        Assert.Equal(SmtpCodecError.InvalidMailbox, CommandFixtures.Fail(w => SmtpCommandWriter.WriteMailFrom(w, tooLong)).Result.Error);
    }

    [Fact]
    public void MailFromWritesEveryParameterInTableOrder()
    {
        string line = CommandFixtures.Write(w => SmtpCommandWriter.WriteMailFrom(w, "a@example.com", new MailFromParameters
        {
            DeliverBy = new DeliverByRequest(600, DeliverByMode.Return, Trace: true),
            MtPriority = -3,
            RequireTls = true,
            Auth = "e+e=@example.com",
            EnvelopeId = "QQ 314159+=",
            Return = DsnReturn.Headers,
            SmtpUtf8 = true,
            Body = BodyType.EightBitMime,
            Size = 123456,
        }));

        Assert.Equal(
            "MAIL FROM:<a@example.com> SIZE=123456 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ+20314159+2B+3D AUTH=e+2Be+3D@example.com REQUIRETLS MT-PRIORITY=-3 BY=600;RT\r\n",
            line);

        // Every property of MailFromParameters is set above and is one parameter on the line, within the generated scratch.
        Assert.Equal(typeof(MailFromParameters).GetProperties().Length, ParametersOn(line));
        Assert.InRange(ParametersOn(line), 1, EsmtpParameterNames.MailParameterCount);
    }

    [Theory]
    [InlineData(-60, DeliverByMode.Notify, false, "BY=-60;N")]
    [InlineData(999999999, DeliverByMode.Return, false, "BY=999999999;R")]
    [InlineData(1, DeliverByMode.Notify, true, "BY=1;NT")]
    [InlineData(0, DeliverByMode.Return, false, null)]
    [InlineData(-1, DeliverByMode.Return, false, null)]
    [InlineData(1_000_000_000, DeliverByMode.Notify, false, null)]
    public void DeliverByIsSignedSecondsAModeAndTheTraceFlag(int seconds, DeliverByMode mode, bool trace, string? expected)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        CommandWriteResult result = SmtpCommandWriter.WriteMailFrom(buffer, "a@b.example", new MailFromParameters { DeliverBy = new DeliverByRequest(seconds, mode, trace) });
        if (expected is null)
        {
            Assert.Equal(SmtpCodecError.InvalidParameterValue, result.Error);
            Assert.Equal(nameof(MailFromParameters.DeliverBy), result.ArgumentName);
            Assert.Equal(0, buffer.WrittenCount);
        }
        else
        {
            Assert.Equal($"MAIL FROM:<a@b.example> {expected}\r\n", System.Text.Encoding.ASCII.GetString(buffer.WrittenSpan));
        }
    }

    [Theory]
    [InlineData(BodyType.SevenBit, "7BIT")]
    [InlineData(BodyType.BinaryMime, "BINARYMIME")]
    public void BodyIsWrittenFromTheGeneratedKeyword(BodyType body, string wire)
    {
        Assert.Equal($"MAIL FROM:<a@b.example> BODY={wire}\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteMailFrom(w, "a@b.example", new MailFromParameters { Body = body })));
    }

    [Fact]
    public void AuthEqualsNullPathIsWrittenAsIs()
    {
        Assert.Equal("MAIL FROM:<> AUTH=<>\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteMailFrom(w, "", new MailFromParameters { Auth = "<>" })));
    }

    [Fact]
    public void AUtf8AddressNeedsSmtpUtf8()
    {
        const string address = "用户@例子.广告";

        Assert.Equal(
            $"MAIL FROM:<{address}> SMTPUTF8\r\n",
            CommandFixtures.Write(w => SmtpCommandWriter.WriteMailFrom(w, address, new MailFromParameters { SmtpUtf8 = true })));
        Assert.Equal(
            $"RCPT TO:<{address}>\r\n",
            CommandFixtures.Write(w => SmtpCommandWriter.WriteRcptTo(w, address, new RcptToParameters { SmtpUtf8 = true })));
        (CommandWriteResult result, int written) = CommandFixtures.Fail(w => SmtpCommandWriter.WriteMailFrom(w, address));
        Assert.Equal(SmtpCodecError.ArgumentNotAscii, result.Error);
        Assert.Equal("reversePath", result.ArgumentName);
        Assert.Equal(0, written);
    }

    [Theory]
    [InlineData(-1, "Size")]
    [InlineData(10, "MtPriority")]
    [InlineData(-10, "MtPriority")]
    public void OutOfRangeNumbersAreInvalidParameterValues(int value, string argument)
    {
        (CommandWriteResult result, int written) = CommandFixtures.Fail(w => SmtpCommandWriter.WriteMailFrom(w, "a@b.example", argument == "Size"
            ? new MailFromParameters { Size = value }
            : new MailFromParameters { MtPriority = value }));

        Assert.Equal(SmtpCodecError.InvalidParameterValue, result.Error);
        Assert.Equal(argument, result.ArgumentName);
        Assert.Equal(0, written);
    }

    [Fact]
    public void UndefinedKeywordValuesAreInvalidParameterValues()
    {
        Assert.Equal("Body", CommandFixtures.Fail(w => SmtpCommandWriter.WriteMailFrom(w, "a@b.example", new MailFromParameters { Body = (BodyType)99 })).Result.ArgumentName);
        Assert.Equal("Return", CommandFixtures.Fail(w => SmtpCommandWriter.WriteMailFrom(w, "a@b.example", new MailFromParameters { Return = (DsnReturn)99 })).Result.ArgumentName);
    }

    [Fact]
    public void AnEnvelopeIdOver100CharactersIsRefused()
    {
        string ok = new('e', 100);

        Assert.EndsWith($"ENVID={ok}\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteMailFrom(w, "", new MailFromParameters { EnvelopeId = ok })), StringComparison.Ordinal);
        (CommandWriteResult result, _) = CommandFixtures.Fail(w => SmtpCommandWriter.WriteMailFrom(w, "", new MailFromParameters { EnvelopeId = ok + "e" }));
        Assert.Equal(SmtpCodecError.InvalidParameterValue, result.Error);
        Assert.Equal("EnvelopeId", result.ArgumentName);
    }

    [Fact]
    public void RcptToWritesNotifyAndOrcpt()
    {
        string line = CommandFixtures.Write(w => SmtpCommandWriter.WriteRcptTo(w, "b@example.com", new RcptToParameters
        {
            Notify = DsnNotifyFlags.Delay | DsnNotifyFlags.Success | DsnNotifyFlags.Failure,
            OriginalRecipient = "b+list@example.com",
        }));

        Assert.Equal("RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;b+2Blist@example.com\r\n", line);
        Assert.Equal("RCPT TO:<b@example.com> NOTIFY=NEVER\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteRcptTo(w, "b@example.com", new RcptToParameters { Notify = DsnNotifyFlags.Never })));
    }

    [Fact]
    public void RcptToWritesEveryParameterAtOnce()
    {
        const string address = "用户@例子.广告";

        string line = CommandFixtures.Write(w => SmtpCommandWriter.WriteRcptTo(w, address, new RcptToParameters
        {
            SmtpUtf8 = true,
            Notify = DsnNotifyFlags.Failure | DsnNotifyFlags.Delay,
            OriginalRecipient = "list+owner@example.com",
        }));

        Assert.Equal($"RCPT TO:<{address}> NOTIFY=FAILURE,DELAY ORCPT=rfc822;list+2Bowner@example.com\r\n", line);

        // SmtpUtf8 is the transaction's (it allows the UTF-8 path); every other property is one parameter on the line.
        Assert.Equal(typeof(RcptToParameters).GetProperties().Length - 1, ParametersOn(line));
        Assert.InRange(ParametersOn(line), 1, EsmtpParameterNames.RcptParameterCount);
    }

    [Fact]
    public void NotifyNeverCannotBeCombined()
    {
        (CommandWriteResult result, int written) = CommandFixtures.Fail(w => SmtpCommandWriter.WriteRcptTo(w, "b@example.com", new RcptToParameters { Notify = DsnNotifyFlags.Never | DsnNotifyFlags.Delay }));

        Assert.Equal(SmtpCodecError.InvalidParameterValue, result.Error);
        Assert.Equal("Notify", result.ArgumentName);
        Assert.Equal(0, written);
    }

    [Theory]
    [InlineData("Postmaster")]
    [InlineData("postmaster")]
    public void RcptToAcceptsPostmasterWithoutADomain(string path)
    {
        Assert.Equal($"RCPT TO:<{path}>\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteRcptTo(w, path)));
    }

    [Fact]
    public void CommandsWithoutArgumentsAreWrittenFromTheGeneratedVerbs()
    {
        Assert.Equal("DATA\r\n", CommandFixtures.Write(SmtpCommandWriter.WriteData));
        Assert.Equal("RSET\r\n", CommandFixtures.Write(SmtpCommandWriter.WriteRset));
        Assert.Equal("QUIT\r\n", CommandFixtures.Write(SmtpCommandWriter.WriteQuit));
        Assert.Equal("STARTTLS\r\n", CommandFixtures.Write(SmtpCommandWriter.WriteStartTls));
        Assert.Equal("NOOP\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteNoop(w)));
        Assert.Equal("HELP\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteHelp(w)));
    }

    [Fact]
    public void StringArgumentsAreAtomsOrQuotedStrings()
    {
        Assert.Equal("NOOP ping\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteNoop(w, "ping")));
        Assert.Equal("HELP MAIL\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteHelp(w, "MAIL")));
        Assert.Equal("VRFY \"John Smith\"\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteVrfy(w, "\"John Smith\"")));
        Assert.Equal("EXPN staff\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteExpn(w, "staff")));
        Assert.Equal("VRFY 用户 SMTPUTF8\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteVrfy(w, "用户", smtpUtf8: true)));
        Assert.Equal("EXPN liste SMTPUTF8\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteExpn(w, "liste", smtpUtf8: true)));
        Assert.Equal("user", CommandFixtures.Fail(w => SmtpCommandWriter.WriteVrfy(w, "John Smith")).Result.ArgumentName);
    }

    [Fact]
    public void BdatWritesTheChunkSizeAndLast()
    {
        Assert.Equal("BDAT 86\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteBdat(w, 86, last: false)));
        Assert.Equal("BDAT 0 LAST\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteBdat(w, 0, last: true)));
        Assert.Equal($"BDAT {long.MaxValue} LAST\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteBdat(w, long.MaxValue, last: true)));
        (CommandWriteResult result, int written) = CommandFixtures.Fail(w => SmtpCommandWriter.WriteBdat(w, -1, last: false));
        Assert.Equal(SmtpCodecError.InvalidChunkSize, result.Error);
        Assert.Equal("chunkSize", result.ArgumentName);
        Assert.Equal(0, written);
    }

    [Fact]
    public void AuthWritesTheMechanismAndTheBase64InitialResponse()
    {
        Assert.Equal("AUTH LOGIN\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteAuth(w, SaslMechanism.Login)));
        Assert.Equal("AUTH PLAIN AGEAYg==\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteAuth(w, SaslMechanism.Plain, "\0a\0b"u8)));
        Assert.Equal("AUTH EXTERNAL =\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteAuth(w, SaslMechanism.External, [])));
        Assert.Equal("mechanism", CommandFixtures.Fail(w => SmtpCommandWriter.WriteAuth(w, SaslMechanism.None)).Result.ArgumentName);
    }

    [Fact]
    public void AnInitialResponseThatWouldPass512OctetsIsDeferredToThe334()
    {
        // "AUTH XOAUTH2 " is 13 octets; 372 bytes give 496 base64 characters: 13 + 496 + 2 = 511.
        byte[] fits = new byte[372];
        byte[] tooLong = new byte[375];
        var writer = new ArrayBufferWriter<byte>();

        CommandWriteResult kept = SmtpCommandWriter.WriteAuth(writer, SaslMechanism.XOAuth2, fits);
        Assert.False(kept.InitialResponseDeferred);
        Assert.Equal(511, kept.BytesWritten);

        writer.ResetWrittenCount();
        CommandWriteResult deferred = SmtpCommandWriter.WriteAuth(writer, SaslMechanism.XOAuth2, tooLong);
        Assert.True(deferred.Succeeded);
        Assert.True(deferred.InitialResponseDeferred);
        Assert.Equal("AUTH XOAUTH2\r\n"u8.ToArray(), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void AuthResponseLinesReach12288Octets()
    {
        Assert.Equal("YWJj\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteAuthResponse(w, "abc"u8)));
        Assert.Equal("\r\n", CommandFixtures.Write(w => SmtpCommandWriter.WriteAuthResponse(w, [])));
        Assert.Equal("*\r\n", CommandFixtures.Write(SmtpCommandWriter.WriteAuthCancel));

        // 9189 bytes give 12252 base64 characters; 9213 give 12284 (+ CRLF = 12286); 9216 give 12288 (+ CRLF, too long).
        Assert.Equal(12286, CommandFixtures.Write(w => SmtpCommandWriter.WriteAuthResponse(w, new byte[9213])).Length);
        (CommandWriteResult result, int written) = CommandFixtures.Fail(w => SmtpCommandWriter.WriteAuthResponse(w, new byte[9216]));
        Assert.Equal(SmtpCodecError.AuthLineTooLong, result.Error);
        Assert.Equal("response", result.ArgumentName);
        Assert.Equal(0, written);
    }

    [Fact]
    public void TheMailLineMayGrowByEachExtensionsAllowanceOnce()
    {
        Assert.Equal(0, SmtpCommandWriter.GetLineAllowance([]));
        Assert.Equal(26, SmtpCommandWriter.GetLineAllowance([EsmtpParameter.Size]));
        Assert.Equal(100, SmtpCommandWriter.GetLineAllowance([EsmtpParameter.Ret, EsmtpParameter.EnvId]));
        Assert.Equal(500, SmtpCommandWriter.GetLineAllowance([EsmtpParameter.Notify, EsmtpParameter.OrCpt]));
        Assert.Equal(26 + 10 + 100, SmtpCommandWriter.GetLineAllowance([EsmtpParameter.Size, EsmtpParameter.SmtpUtf8, EsmtpParameter.EnvId, EsmtpParameter.Ret]));
    }

    [Fact]
    public void ALineBeyondTheLimitIsRefusedWithNothingWritten()
    {
        // A quoted local part may hold 62 characters; long domains make the path exceed 512 only with a long reverse path,
        // so push a VRFY argument instead, which has no allowance.
        string user = "\"" + new string('u', 600) + "\"";
        (CommandWriteResult result, int written) = CommandFixtures.Fail(w => SmtpCommandWriter.WriteVrfy(w, user));

        Assert.Equal(SmtpCodecError.CommandLineTooLong, result.Error);
        Assert.Equal("user", result.ArgumentName);
        Assert.Equal(0, written);
    }

    [Theory]
    [InlineData(505, true)]
    [InlineData(506, false)]
    [InlineData(507, false)]
    public void AnArgumentThatLeavesNoRoomForCrLfIsBlamedForTheLength(int length, bool fits)
    {
        // "VRFY " + argument + CRLF must stay within 512 octets (RFC 5321 section 4.5.3.1.4).
        string user = "\"" + new string('u', length - 2) + "\"";
        var writer = new ArrayBufferWriter<byte>();

        CommandWriteResult result = SmtpCommandWriter.WriteVrfy(writer, user);

        Assert.Equal(fits, result.Succeeded);
        Assert.Equal(fits ? 512 : 0, writer.WrittenCount);
        if (!fits)
        {
            Assert.Equal(SmtpCodecError.CommandLineTooLong, result.Error);
            Assert.Equal("user", result.ArgumentName);
        }
    }

    [Fact]
    public void ThrowIfFailedNamesTheArgument()
    {
        CommandWriteResult result = SmtpCommandWriter.WriteMailFrom(new ArrayBufferWriter<byte>(), "a\r\nb@example.com");

        ArgumentException error = Assert.Throws<ArgumentException>(result.ThrowIfFailed);
        Assert.Equal("reversePath", error.ParamName);
        Assert.Contains("ArgumentHasControlCharacter", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The ESMTP parameters of a MAIL or RCPT line: the words after the verb and the path.</summary>
    private static int ParametersOn(string line) => line.TrimEnd('\r', '\n').Split(' ').Length - 2;
}
