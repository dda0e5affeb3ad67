using SmtpCodec.Generator;
using SmtpCodec.Protocol;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Generated;

/// <summary>Facts the generated lookups must carry over from the spec tables.</summary>
public sealed class SpecTableFactsTests
{
    [Theory]
    [InlineData(SmtpCommand.Mail, PipeliningRule.Anywhere)]
    [InlineData(SmtpCommand.Rcpt, PipeliningRule.Anywhere)]
    [InlineData(SmtpCommand.Rset, PipeliningRule.Anywhere)]
    [InlineData(SmtpCommand.Bdat, PipeliningRule.Anywhere)]
    [InlineData(SmtpCommand.Ehlo, PipeliningRule.Last)]
    [InlineData(SmtpCommand.Data, PipeliningRule.Last)]
    [InlineData(SmtpCommand.Quit, PipeliningRule.Last)]
    [InlineData(SmtpCommand.Noop, PipeliningRule.Last)]
    [InlineData(SmtpCommand.StartTls, PipeliningRule.Last)]
    [InlineData(SmtpCommand.Auth, PipeliningRule.LastUnlessOneRoundTrip)]
    public void PipeliningRulesFollowRfc2920AndRfc4954(SmtpCommand command, PipeliningRule rule) =>
        Assert.Equal(rule, SmtpCommandVerbs.GetPipeliningRule(command));

    [Fact]
    public void EveryRfc5321CommandAndTheExtensionCommandsAreInTheTable()
    {
        string[] expected = ["EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH", "BDAT"];
        string[] current = SmtpCommandVerbs.All.ToArray().Where(c => !SmtpCommandVerbs.IsObsolete(c)).Select(SmtpCommandVerbs.GetName).ToArray();
        Assert.Equal(expected, current);
        Assert.All(SmtpCommandVerbs.All.ToArray(), c => Assert.StartsWith("RFC ", SmtpCommandVerbs.GetReference(c), StringComparison.Ordinal));
    }

    [Fact]
    public void TheEhloKeywordTableHoldsEveryKeywordAClientCanMeet()
    {
        string[] required =
        [
            "PIPELINING", "SIZE", "8BITMIME", "BINARYMIME", "CHUNKING", "SMTPUTF8", "DSN", "STARTTLS", "AUTH",
            "ENHANCEDSTATUSCODES", "REQUIRETLS", "MT-PRIORITY", "DELIVERBY", "LIMITS", "ETRN", "HELP", "VRFY", "EXPN",
            "BURL", "FUTURERELEASE", "NO-SOLICITING", "CONPERM", "CONNEG", "ATRN", "RRVS", "SUBMITTER",
        ];
        foreach (string keyword in required)
        {
            Assert.True(EhloKeywords.TryParse(System.Text.Encoding.ASCII.GetBytes(keyword), out EhloKeyword value), keyword);
            Assert.StartsWith("RFC ", EhloKeywords.GetReference(value), StringComparison.Ordinal);
        }

        Assert.Equal(EhloParameterSyntax.Size, EhloKeywords.GetParameterSyntax(EhloKeyword.Size));
        Assert.Equal(EhloParameterSyntax.Mechanisms, EhloKeywords.GetParameterSyntax(EhloKeyword.Auth));
        Assert.Equal(EhloParameterSyntax.Limits, EhloKeywords.GetParameterSyntax(EhloKeyword.Limits));
        Assert.Equal(EhloParameterSyntax.DeliverBy, EhloKeywords.GetParameterSyntax(EhloKeyword.DeliverBy));
    }

    [Fact]
    public void FlagsHaveOneDistinctBitPerKeyword()
    {
        EhloExtensions seen = EhloExtensions.None;
        foreach (EhloKeyword keyword in EhloKeywords.All)
        {
            EhloExtensions flag = EhloKeywords.ToFlag(keyword);
            Assert.Equal(1, System.Numerics.BitOperations.PopCount((ulong)flag));
            Assert.Equal(EhloExtensions.None, seen & flag);
            seen |= flag;
        }

        Assert.Equal(EhloExtensions.None, EhloKeywords.ToFlag(EhloKeyword.None));
        Assert.Equal(EhloExtensions.None, EhloKeywords.ToFlag((EhloKeyword)1000));
        Assert.Equal(SaslMechanismFlags.Plain, SaslMechanismNames.ToFlag(SaslMechanism.Plain));
    }

    [Theory]
    [InlineData(EsmtpParameter.Size, SmtpCommand.Mail, EhloKeyword.Size, EsmtpValueSyntax.Number, 26)]
    [InlineData(EsmtpParameter.SmtpUtf8, SmtpCommand.Mail, EhloKeyword.SmtpUtf8, EsmtpValueSyntax.None, 10)]
    [InlineData(EsmtpParameter.EnvId, SmtpCommand.Mail, EhloKeyword.Dsn, EsmtpValueSyntax.Xtext, 100)]
    [InlineData(EsmtpParameter.Auth, SmtpCommand.Mail, EhloKeyword.Auth, EsmtpValueSyntax.Xtext, 500)]
    [InlineData(EsmtpParameter.Notify, SmtpCommand.Rcpt, EhloKeyword.Dsn, EsmtpValueSyntax.KeywordList, 500)]
    [InlineData(EsmtpParameter.OrCpt, SmtpCommand.Rcpt, EhloKeyword.Dsn, EsmtpValueSyntax.AddressTypeXtext, 500)]
    [InlineData(EsmtpParameter.Body, SmtpCommand.Mail, EhloKeyword.EightBitMime, EsmtpValueSyntax.Keyword, 16)]
    public void ParametersCarryTheirCommandExtensionSyntaxAndAllowance(EsmtpParameter parameter, SmtpCommand command, EhloKeyword extension, EsmtpValueSyntax syntax, int allowance)
    {
        Assert.Equal(command, EsmtpParameterNames.GetCommand(parameter));
        Assert.Equal(extension, EsmtpParameterNames.GetExtension(parameter));
        Assert.Equal(syntax, EsmtpParameterNames.GetValueSyntax(parameter));
        Assert.Equal(allowance, EsmtpParameterNames.GetLineAllowance(parameter));
    }

    [Fact]
    public void ParameterCountsAreTheNumbersOfMailAndRcptRowsInTheTable()
    {
        string[] lines = File.ReadAllLines(Path.Combine(RepositoryRoot.Path, SpecGenerator.SpecDirectory, "parameters.tsv"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToArray();
        int column = Array.IndexOf(lines[0].Split('\t'), "command");
        string[] commands = lines.Skip(1).Select(l => l.Split('\t')[column]).ToArray();

        Assert.Equal(EsmtpParameterNames.MailParameterCount, commands.Count(c => c == "MAIL"));
        Assert.Equal(EsmtpParameterNames.RcptParameterCount, commands.Count(c => c == "RCPT"));
        Assert.Equal(EsmtpParameterNames.MailParameterCount, EsmtpParameterNames.All.ToArray().Count(p => EsmtpParameterNames.GetCommand(p) == SmtpCommand.Mail));
        Assert.Equal(EsmtpParameterNames.RcptParameterCount, EsmtpParameterNames.All.ToArray().Count(p => EsmtpParameterNames.GetCommand(p) == SmtpCommand.Rcpt));
    }

    [Fact]
    public void KeywordListValuesAreFlags()
    {
        Assert.Equal(DsnNotifyFlags.Success | DsnNotifyFlags.Failure, DsnNotifyNames.ToFlag(DsnNotify.Success) | DsnNotifyNames.ToFlag(DsnNotify.Failure));
        Assert.Equal("8BITMIME", BodyTypeNames.GetName(BodyType.EightBitMime));
        Assert.Equal("HDRS", DsnReturnNames.GetName(DsnReturn.Headers));
    }

    [Theory]
    [InlineData(220, SmtpReplyCode.ServiceReady)]
    [InlineData(235, SmtpReplyCode.AuthenticationSucceeded)]
    [InlineData(334, SmtpReplyCode.AuthenticationChallenge)]
    [InlineData(354, SmtpReplyCode.StartMailInput)]
    [InlineData(421, SmtpReplyCode.ServiceNotAvailable)]
    [InlineData(530, SmtpReplyCode.AuthenticationRequired)]
    [InlineData(535, SmtpReplyCode.AuthenticationCredentialsInvalid)]
    [InlineData(538, SmtpReplyCode.EncryptionRequiredForMechanism)]
    [InlineData(554, SmtpReplyCode.TransactionFailed)]
    public void ReplyCodeValuesAreTheCodesThemselves(int code, SmtpReplyCode value)
    {
        Assert.Equal(code, (int)value);
        Assert.False(string.IsNullOrEmpty(SmtpReplyCodes.GetMeaning(code)));
        Assert.Contains("RFC ", SmtpReplyCodes.GetReference(code), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryRfc5321ReplyCodeIsKnownAndUnknownCodesAreNull()
    {
        int[] rfc5321 = [211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 455, 500, 501, 502, 503, 504, 550, 551, 552, 553, 554, 555];
        Assert.All(rfc5321, code => Assert.NotNull(SmtpReplyCodes.GetMeaning(code)));
        Assert.Null(SmtpReplyCodes.GetMeaning(299));
        Assert.Null(SmtpReplyCodes.GetMeaning(0));
    }

    [Theory]
    [InlineData(5, 1, 1, KnownEnhancedStatus.BadDestinationMailboxAddress, "X.1.1")]
    [InlineData(2, 1, 5, KnownEnhancedStatus.DestinationAddressValid, "X.1.5")]
    [InlineData(2, 0, 0, KnownEnhancedStatus.OtherUndefinedStatus, "X.0.0")]
    [InlineData(5, 7, 8, KnownEnhancedStatus.AuthenticationCredentialsInvalid, "X.7.8")]
    [InlineData(4, 7, 0, KnownEnhancedStatus.OtherOrUndefinedSecurityStatus, "X.7.0")]
    [InlineData(5, 7, 30, KnownEnhancedStatus.RequireTlsSupportRequired, "X.7.30")]
    [InlineData(5, 5, 6, KnownEnhancedStatus.AuthenticationExchangeLineTooLong, "X.5.6")]
    public void EnhancedCodesAreFoundForEveryClass(int statusClass, int subject, int detail, KnownEnhancedStatus entry, string code)
    {
        Assert.Equal(entry, EnhancedStatusCodeRegistry.Find(statusClass, subject, detail));
        Assert.Equal(code, EnhancedStatusCodeRegistry.GetCode(entry));
        Assert.False(string.IsNullOrEmpty(EnhancedStatusCodeRegistry.GetName(entry)));
        Assert.False(string.IsNullOrEmpty(EnhancedStatusCodeRegistry.GetDescription(entry)));
    }

    [Theory]
    [InlineData(3, 1, 1)]
    [InlineData(5, 9, 0)]
    [InlineData(5, 7, 999)]
    [InlineData(0, 0, 0)]
    public void CodesOutsideTheRegistryAreNone(int statusClass, int subject, int detail) =>
        Assert.Equal(KnownEnhancedStatus.None, EnhancedStatusCodeRegistry.Find(statusClass, subject, detail));

    [Fact]
    public void EveryRfc3463CodeIsInTheRegistry()
    {
        (int Subject, int MaxDetail)[] rfc3463 = [(0, 0), (1, 8), (2, 4), (3, 5), (4, 7), (5, 5), (6, 5), (7, 7)];
        foreach ((int subject, int maxDetail) in rfc3463)
        {
            for (int detail = 0; detail <= maxDetail; detail++)
            {
                Assert.NotEqual(KnownEnhancedStatus.None, EnhancedStatusCodeRegistry.Find(5, subject, detail));
            }
        }
    }

    [Fact]
    public void EveryErrorKindHasASentenceAndAnArea()
    {
        Assert.NotEmpty(SmtpCodecErrors.All.ToArray());
        foreach (SmtpCodecError error in SmtpCodecErrors.All)
        {
            string message = SmtpCodecErrors.GetMessage(error);
            Assert.EndsWith(".", message, StringComparison.Ordinal);
            Assert.True(message.Length > 10, message);
            Assert.False(string.IsNullOrEmpty(SmtpCodecErrors.GetReference(error)));
        }

        Assert.Equal(SmtpCodecErrorArea.Reply, SmtpCodecErrors.GetArea(SmtpCodecError.MismatchedContinuationCode));
        Assert.Equal(SmtpCodecErrorArea.Data, SmtpCodecErrors.GetArea(SmtpCodecError.BareLineFeedInData));
    }
}
