using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using SmtpCodec.Protocol;
using SmtpCodec.Sasl;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Sink;

/// <summary>
/// AUTH against password guessing: three failures per connection, each 535 late, then 421 4.7.0; SCRAM's salted
/// password computed once per user, and none for unknown users, whose salt never changes either.
/// </summary>
public sealed class SmtpSinkAuthLimitTests
{
    private const string User = "you@icloud.com";
    private const string Secret = "email-me-your-favorite-color";

    [Fact]
    public async Task TheThirdFailureGets535AndTheNextAttempt421ThenTheConnectionCloses()
    {
        await using SmtpSink sink = StartAuthSink();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO client.test");

        for (int attempt = 1; attempt <= SinkSession.MaxAuthFailures; attempt++)
        {
            Assert.Equal("535 5.7.8 Authentication credentials invalid", await client.CommandAsync("AUTH PLAIN " + B64($"\0{User}\0wrong-{attempt}")));
        }

        // Even the right password: the connection has had its tries.
        Assert.Equal("421 4.7.0 Too many failed authentication attempts, closing connection", await client.CommandAsync("AUTH PLAIN " + B64($"\0{User}\0{Secret}")));
        Assert.True(await client.IsClosedAsync());
        await sink.DisposeAsync();
        Assert.Equal(0, sink.SessionFaults);
    }

    [Fact]
    public async Task FailuresOfDifferentMechanismsCountTogetherAndASuccessStillComesWithinThree()
    {
        await using SmtpSink sink = StartAuthSink();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO client.test");

        // As Python's smtplib does: it tries the mechanisms in turn and expects each refusal to be a 535.
        Assert.StartsWith("334 ", await client.CommandAsync("AUTH LOGIN"), StringComparison.Ordinal);
        Assert.StartsWith("334 ", await client.CommandAsync(B64(User)), StringComparison.Ordinal);
        Assert.StartsWith("535 ", await client.CommandAsync(B64("wrong")), StringComparison.Ordinal);
        Assert.StartsWith("535 ", await client.CommandAsync("AUTH PLAIN " + B64($"\0{User}\0wrong")), StringComparison.Ordinal);
        Assert.StartsWith("235 ", await client.CommandAsync("AUTH PLAIN " + B64($"\0{User}\0{Secret}")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EachFailureHoldsTheSessionBackEvenWhenAttemptsArePipelined()
    {
        await using SmtpSink sink = StartAuthSink();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO client.test");
        string attempts = string.Concat(Enumerable.Range(0, 3).Select(i => $"AUTH PLAIN {B64($"\0{User}\0wrong-{i}")}\r\n"));

        long started = Stopwatch.GetTimestamp();
        string[] replies = await client.SendAsync(attempts + "NOOP\r\n", 4);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);

        Assert.Equal(["535", "535", "535", "250"], replies.Select(r => r[..3]));
        Assert.True(elapsed >= 3 * new SmtpSinkOptions().AuthFailureDelay - TimeSpan.FromMilliseconds(30), $"three failures took {elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task ScramDerivesAUsersSaltedPasswordOncePerSinkAndKeepsItsSalt()
    {
        await using SmtpSink sink = StartAuthSink();
        var salts = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 4; i++)
        {
            using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
            await client.CommandAsync("EHLO client.test");
            (string reply, string salt) = await ScramAsync(client, User, i % 2 == 0 ? Secret : "wrong");
            Assert.StartsWith(i % 2 == 0 ? "235 " : "535 ", reply, StringComparison.Ordinal);
            salts.Add(salt);
        }

        Assert.Equal(1, sink.ScramCredentials.Derivations);
        Assert.Single(salts);
    }

    [Fact]
    public async Task AnUnknownUserCostsNoPbkdf2AndKeepsOneSaltOfItsOwn()
    {
        await using SmtpSink sink = StartAuthSink();
        var ghostSalts = new List<string>();
        string otherSalt = "";
        for (int i = 0; i < 3; i++)
        {
            using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
            await client.CommandAsync("EHLO client.test");
            (string reply, string salt) = await ScramAsync(client, "ghost@example.org", Secret);
            Assert.StartsWith("535 ", reply, StringComparison.Ordinal);
            ghostSalts.Add(salt);
            (_, otherSalt) = await ScramAsync(client, "nobody@example.org", Secret);
        }

        Assert.Equal(0, sink.ScramCredentials.Derivations);
        Assert.Single(ghostSalts.Distinct());
        Assert.NotEqual(ghostSalts[0], otherSalt);
        Assert.Equal(16, Convert.FromBase64String(ghostSalts[0]).Length);
    }

    private static SmtpSink StartAuthSink() => SmtpSink.Start(new SmtpSinkOptions
    {
        Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.Auth,
        AuthMechanisms = SaslMechanismFlags.Plain | SaslMechanismFlags.Login | SaslMechanismFlags.ScramSha256,
        Users = new Dictionary<string, string> { [User] = Secret },
    });

    /// <summary>One SCRAM-SHA-256 exchange in raw lines (RFC 5802 section 3); returns the final reply and the salt the sink sent.</summary>
    private static async Task<(string Reply, string Salt)> ScramAsync(RawSmtpClient client, string user, string password)
    {
        string nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12));
        string bare = $"n={user},r={nonce}";
        string challenge = await client.CommandAsync("AUTH SCRAM-SHA-256 " + B64("n,," + bare));
        Assert.StartsWith("334 ", challenge, StringComparison.Ordinal);
        string serverFirst = Encoding.ASCII.GetString(Convert.FromBase64String(challenge[4..]));
        Dictionary<string, string> fields = serverFirst.Split(',').ToDictionary(f => f[..1], f => f[2..]);
        byte[] clientKey = new byte[32];
        byte[] serverKey = new byte[32];
        ScramSha256Keys.Derive(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(fields["s"]), int.Parse(fields["i"], System.Globalization.CultureInfo.InvariantCulture), clientKey, serverKey);
        string withoutProof = $"c=biws,r={fields["r"]}";
        byte[] proof = new byte[32];
        ScramSha256Keys.ComputeClientProof(clientKey, Encoding.ASCII.GetBytes($"{bare},{serverFirst},{withoutProof}"), proof);
        string reply = await client.CommandAsync(B64($"{withoutProof},p={Convert.ToBase64String(proof)}"));
        if (reply.StartsWith("334 ", StringComparison.Ordinal))
        {
            reply = await client.CommandAsync("");
        }

        return (reply, fields["s"]);
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
