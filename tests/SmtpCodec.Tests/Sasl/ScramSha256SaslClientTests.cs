using SmtpCodec.Protocol;
using SmtpCodec.Sasl;

namespace SmtpCodec.Tests.Sasl;

public sealed class ScramSha256SaslClientTests
{
    // RFC 7677 section 3.
    private const string ServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private const string ClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private const string ServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    private static ScramSha256SaslClient Rfc7677Client() => new("user", "pencil", "rOprNGfwEbeRWgbNEkqO");

    [Fact]
    public void TheRfc7677ExampleIsReproducedAndTheServerSignatureVerified()
    {
        ScramSha256SaslClient client = Rfc7677Client();

        Assert.Equal("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", SaslExchange.InitialResponse(client));
        Assert.Equal(ClientFinal, SaslExchange.Answer(client, ServerFirst));
        Assert.False(client.IsComplete);
        Assert.Equal("", SaslExchange.Answer(client, ServerFinal));
        Assert.True(client.IsComplete);
    }

    [Fact]
    public void AfterARefusedServerFirstTheExchangeStaysOverAndComputesNothingFromTheClearedPassword()
    {
        ScramSha256SaslClient client = Rfc7677Client();
        SaslExchange.InitialResponse(client);
        Assert.Equal(SmtpCodecError.InvalidServerChallenge, SaslExchange.Refusal(client, "r=someoneElsesNonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));

        // A caller that ignores the refusal and tries the genuine server-first gets a refusal, not a proof from zeros.
        Assert.Equal(SmtpCodecError.InvalidServerChallenge, SaslExchange.Refusal(client, ServerFirst));
        Assert.False(client.IsComplete);
    }

    [Fact]
    public void AServerThatDoesNotKnowThePasswordIsCaught()
    {
        ScramSha256SaslClient client = Rfc7677Client();
        SaslExchange.InitialResponse(client);
        SaslExchange.Answer(client, ServerFirst);

        Assert.Equal(SmtpCodecError.ServerSignatureMismatch, SaslExchange.Refusal(client, "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
        Assert.False(client.IsComplete);
    }

    [Fact]
    public void AServerErrorAttributeIsReported()
    {
        ScramSha256SaslClient client = Rfc7677Client();
        SaslExchange.InitialResponse(client);
        SaslExchange.Answer(client, ServerFirst);

        Assert.Equal(SmtpCodecError.ServerReportedError, SaslExchange.Refusal(client, "e=invalid-proof"));
    }

    [Theory]
    [InlineData("r=someoneElsesNonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==")]
    [InlineData("m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,i=4096,s=W22ZaJ0SNY7soEsUEjb6gQ==")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,s=,i=4096")]
    public void AnInvalidServerFirstMessageIsRefused(string serverFirst)
    {
        ScramSha256SaslClient client = Rfc7677Client();
        SaslExchange.InitialResponse(client);

        Assert.Equal(SmtpCodecError.InvalidServerChallenge, SaslExchange.Refusal(client, serverFirst));
    }

    [Fact]
    public void ASaltThatIsNotBase64IsRefused()
    {
        ScramSha256SaslClient client = Rfc7677Client();
        SaslExchange.InitialResponse(client);

        Assert.Equal(SmtpCodecError.InvalidBase64, SaslExchange.Refusal(client, "r=rOprNGfwEbeRWgbNEkqOxyz,s=!!!,i=4096"));
    }

    [Fact]
    public void UserNamesEscapeCommaAndEquals()
    {
        Assert.Equal("n,,n=a=2Cb=3Dc,r=nonce", SaslExchange.InitialResponse(new ScramSha256SaslClient("a,b=c", "p", "nonce")));
    }

    [Theory]
    [InlineData("pässword")]
    [InlineData("tab\tpassword")]
    public void PasswordsOutsidePrintableAsciiAreRefusedBecauseSaslPrepIsLimitedToAscii(string password)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new ScramSha256SaslClient("user", password));

        Assert.Equal("password", error.ParamName);
        Assert.Contains("SASLprep", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDefaultNonceIsFreshForEachClient()
    {
        string first = SaslExchange.InitialResponse(new ScramSha256SaslClient("user", "pencil"));
        string second = SaslExchange.InitialResponse(new ScramSha256SaslClient("user", "pencil"));

        Assert.StartsWith("n,,n=user,r=", first, StringComparison.Ordinal);
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData(100_001, 100_000, SmtpCodecError.InvalidServerChallenge)]
    [InlineData(2147483647, 100_000, SmtpCodecError.InvalidServerChallenge)]
    [InlineData(8192, 8191, SmtpCodecError.InvalidServerChallenge)]
    [InlineData(8192, 8192, SmtpCodecError.None)]
    public void AnIterationCountAboveTheMaximumIsRefusedBeforeAnyWork(int iterations, int maximum, SmtpCodecError expected)
    {
        var client = new ScramSha256SaslClient("user", "pencil", "rOprNGfwEbeRWgbNEkqO", maximumIterationCount: maximum);
        SaslExchange.InitialResponse(client);
        string serverFirst = $"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i={iterations}";

        if (expected == SmtpCodecError.None)
        {
            Assert.StartsWith("c=biws,r=rOprNGfwEbeRWgbNEkqOxyz,p=", SaslExchange.Answer(client, serverFirst), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(expected, SaslExchange.Refusal(client, serverFirst));
        }
    }

    [Fact]
    public void TheDefaultMaximumIterationCountIsAHundredThousand()
    {
        ScramSha256SaslClient client = Rfc7677Client();
        SaslExchange.InitialResponse(client);

        Assert.Equal(100_000, ScramSha256SaslClient.DefaultMaximumIterationCount);
        Assert.Equal(SmtpCodecError.InvalidServerChallenge, SaslExchange.Refusal(client, "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=100001"));
    }

    [Theory]
    [InlineData("with space")]
    [InlineData("tab\tnonce")]
    [InlineData("a,b")]
    [InlineData("")]
    public void AClientNonceOutsideRfc5802PrintableIsRefused(string nonce)
    {
        Assert.Equal("clientNonce", Assert.Throws<ArgumentException>(() => new ScramSha256SaslClient("user", "pencil", nonce)).ParamName);
    }

    [Theory]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO\u007fx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO\u00e9,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")]
    public void AServerNonceOutsideRfc5802PrintableIsRefused(string serverFirst)
    {
        ScramSha256SaslClient client = Rfc7677Client();
        SaslExchange.InitialResponse(client);

        Assert.Equal(SmtpCodecError.InvalidServerChallenge, SaslExchange.Refusal(client, serverFirst));
    }

    [Theory]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0S NY7soEsUEjb6gQ==,i=4096")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsU\r\nEjb6gQ==,i=4096")]
    public void ASaltWithWhitespaceIsNotStrictBase64(string serverFirst)
    {
        ScramSha256SaslClient client = Rfc7677Client();
        SaslExchange.InitialResponse(client);

        Assert.Equal(SmtpCodecError.InvalidBase64, SaslExchange.Refusal(client, serverFirst));
    }

    [Fact]
    public void ThePasswordBytesAreClearedOnceTheProofIsComputed()
    {
        ScramSha256SaslClient client = Rfc7677Client();
        var password = (byte[])typeof(ScramSha256SaslClient)
            .GetField("_password", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(client)!;
        SaslExchange.InitialResponse(client);
        Assert.Equal("pencil"u8.ToArray(), password);

        Assert.Equal(ClientFinal, SaslExchange.Answer(client, ServerFirst));
        Assert.All(password, b => Assert.Equal(0, b));
    }
}
