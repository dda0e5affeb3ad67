using System.Diagnostics;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Sink;

/// <summary>Fault injection: the spec syntax, each kind at its point, determinism under a seed, and the accounting.</summary>
public sealed class SmtpSinkFaultTests
{
    private static readonly SmtpConnectionOptions s_client = new() { TlsMode = SmtpTlsMode.None, EhloName = "client.test" };

    [Theory]
    [InlineData("RCPT:4xx=0.05", SmtpCommand.Rcpt, SmtpSinkFaultKind.TransientReply, 0.05)]
    [InlineData("eod:DROP=0.01", null, SmtpSinkFaultKind.Drop, 0.01)]
    [InlineData("MAIL:5xx=1", SmtpCommand.Mail, SmtpSinkFaultKind.PermanentReply, 1.0)]
    [InlineData("*:421=0", SmtpCommand.None, SmtpSinkFaultKind.ShutDown, 0.0)]
    [InlineData("StartTLS:4xx=.5", SmtpCommand.StartTls, SmtpSinkFaultKind.TransientReply, 0.5)]
    public void ASpecNamesAPointAKindAndAProbability(string spec, SmtpCommand? command, SmtpSinkFaultKind kind, double probability)
    {
        SmtpSinkFault fault = SmtpSinkFault.Parse(spec);
        SmtpSinkFaultPoint point = command switch
        {
            null => SmtpSinkFaultPoint.EndOfData,
            SmtpCommand.None => SmtpSinkFaultPoint.Any,
            { } verb => SmtpSinkFaultPoint.For(verb),
        };

        Assert.Equal(new SmtpSinkFault(point, kind, probability), fault);
        Assert.Equal(fault, SmtpSinkFault.Parse(fault.ToString()));
    }

    [Fact]
    public void ADelaySpecIsInMilliseconds()
    {
        SmtpSinkFault fault = SmtpSinkFault.Parse("*:delay=5");

        Assert.Equal(SmtpSinkFaultKind.Delay, fault.Kind);
        Assert.Equal(TimeSpan.FromMilliseconds(5), fault.Delay);
        Assert.Equal("*:delay=5", fault.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("RCPT4xx=0.1", "expected COMMAND:KIND=VALUE")]
    [InlineData("RCPT:4xx", "expected COMMAND:KIND=VALUE")]
    [InlineData("FROB:4xx=0.1", "'FROB' is not a command")]
    [InlineData("TURN:4xx=0.1", "'TURN' is not a command")]
    [InlineData("RCPT:3xx=0.1", "'3xx' is not a fault kind")]
    [InlineData("RCPT:4xx=1.5", "from 0 to 1")]
    [InlineData("RCPT:4xx=-0.1", "from 0 to 1")]
    [InlineData("RCPT:4xx=NaN", "from 0 to 1")]
    [InlineData("RCPT:delay=1.5", "whole milliseconds")]
    [InlineData("RCPT:delay=99999999", "whole milliseconds")]
    public void ABadSpecIsRefusedNamingItAndWhy(string spec, string why)
    {
        Assert.False(SmtpSinkFault.TryParse(spec, out _, out string? error));
        Assert.Contains(why, error, StringComparison.Ordinal);
        if (spec.Length > 0)
        {
            Assert.Contains($"'{spec}'", error, StringComparison.Ordinal);
        }

        Assert.Throws<FormatException>(() => SmtpSinkFault.Parse(spec));
    }

    [Fact]
    public void FaultsThatContradictEachOtherAreRefusedAtStart()
    {
        ArgumentException twice = Assert.Throws<ArgumentException>(() => Start("RCPT:4xx=0.1", "RCPT:4xx=0.2"));
        ArgumentException overOne = Assert.Throws<ArgumentException>(() => Start("*:5xx=0.6", "RCPT:4xx=0.6"));

        Assert.Contains("RCPT:4xx=0.1", twice.Message, StringComparison.Ordinal);
        Assert.Contains("RCPT", overOne.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A4xxFaultReplacesTheReplyAndTheCommandHasNoEffect()
    {
        await using SmtpSink sink = Start("RCPT:4xx=1");
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string[] replies = await client.SendAsync("EHLO raw.test\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n", 4);

        Assert.Equal(["250 2.1.0 Ok", "451 4.3.0 Injected fault: try again later", "554 5.5.1 No valid recipients"], replies[1..]);
        Assert.Equal(1, sink.GetInjectedFaults(SmtpSinkFaultKind.TransientReply));
    }

    [Fact]
    public async Task A5xxFaultRefusesMailWith550()
    {
        await using SmtpSink sink = Start("MAIL:5xx=1");
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string[] replies = await client.SendAsync("EHLO raw.test\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\n", 3);

        Assert.Equal(["550 5.7.1 Injected fault: refused", "503 5.5.1 Need MAIL before RCPT"], replies[1..]);
        Assert.Equal(1, sink.GetInjectedFaults(SmtpSinkFaultKind.PermanentReply));
    }

    [Fact]
    public async Task A421FaultRepliesThenCloses()
    {
        await using SmtpSink sink = Start("DATA:421=1");
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string[] replies = await client.SendAsync("EHLO raw.test\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n", 4);

        Assert.Equal("421 4.3.2 Injected fault: service shutting down, closing connection", replies[3]);
        Assert.True(await client.IsClosedAsync());
        Assert.Equal(1, sink.GetInjectedFaults(SmtpSinkFaultKind.ShutDown));
    }

    [Fact]
    public async Task ADropFaultClosesWithoutAReplyAfterTheRepliesBeforeIt()
    {
        await using SmtpSink sink = Start("NOOP:drop=1");
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string[] replies = await client.SendAsync("RSET\r\nNOOP\r\n", 1);

        Assert.Equal("250 2.0.0 Ok", replies[0]);
        Assert.True(await client.IsClosedAsync());
        Assert.Equal(1, sink.GetInjectedFaults(SmtpSinkFaultKind.Drop));
    }

    [Fact]
    public async Task ADelayFaultHoldsItsReplyAndThoseAfterItButNotThoseBefore()
    {
        TimeSpan delay = TimeSpan.FromMilliseconds(800);
        await using SmtpSink sink = Start("NOOP:delay=800");
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        var clock = Stopwatch.StartNew();
        string before = (await client.SendAsync("RSET\r\nNOOP\r\nRSET\r\n", 1))[0];
        TimeSpan first = clock.Elapsed;
        string[] rest = await client.SendAsync("", 2);
        TimeSpan all = clock.Elapsed;

        Assert.Equal("250 2.0.0 Ok", before);
        Assert.Equal(["250 2.0.0 Ok", "250 2.0.0 Ok"], rest);
        Assert.True(first < delay, $"the RSET before the delayed NOOP waited {first.TotalMilliseconds} ms");
        Assert.True(all >= delay - TimeSpan.FromMilliseconds(20), $"the delayed replies left after {all.TotalMilliseconds} ms");
        Assert.Equal(1, sink.GetInjectedFaults(SmtpSinkFaultKind.Delay));
    }

    [Fact]
    public async Task AFaultNamedForACommandTakesPrecedenceOverTheAnyFault()
    {
        await using SmtpSink sink = Start("*:5xx=1", "NOOP:5xx=0");
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string[] replies = await client.SendAsync("NOOP\r\nRSET\r\n", 2);

        Assert.Equal(["250 2.0.0 Ok", "554 5.3.0 Injected fault: rejected"], replies);
    }

    [Fact]
    public async Task WithTheSameSeedAConnectionGetsTheSameFaultsAndAnotherSeedOthers()
    {
        string[] first = await NoopRepliesAsync(seed: 42);
        string[] again = await NoopRepliesAsync(seed: 42);
        string[] other = await NoopRepliesAsync(seed: 43);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);

        // 30% 4xx and 20% 5xx over 300 draws (the seed fixes the counts; the bounds only say the mix is right).
        Assert.InRange(first.Count(r => r.StartsWith('4')), 60, 120);
        Assert.InRange(first.Count(r => r.StartsWith('5')), 35, 85);
        Assert.InRange(first.Count(r => r.StartsWith('2')), 110, 190);
    }

    [Theory]
    [InlineData("EOD:4xx=1", SmtpSinkFaultKind.TransientReply, 451)]
    [InlineData("EOD:5xx=1", SmtpSinkFaultKind.PermanentReply, 554)]
    public async Task AMessageFaultedAtItsEndIsNotReceived(string spec, SmtpSinkFaultKind kind, int code)
    {
        await using SmtpSink sink = Start(spec);
        await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, s_client);

        SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => connection.SendAsync(new SmtpEnvelope("a@b.c", "d@e.f"), "hi\r\n"u8.ToArray()));

        Assert.Equal(code, error.ReplyCode);
        Assert.Equal(0, sink.Messages);
        Assert.Equal(0, sink.Bytes);
        Assert.Equal(1, sink.GetInjectedFaults(kind));
    }

    [Theory]
    [InlineData("EOD:drop=1", SmtpSinkFaultKind.Drop)]
    [InlineData("EOD:421=1", SmtpSinkFaultKind.ShutDown)]
    public async Task AMessageWhoseConnectionEndsAtItsEndIsNotReceived(string spec, SmtpSinkFaultKind kind)
    {
        await using SmtpSink sink = Start(spec);
        await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, s_client);

        SmtpException error = await Assert.ThrowsAnyAsync<SmtpException>(() => connection.SendAsync(new SmtpEnvelope("a@b.c", "d@e.f"), "hi\r\n"u8.ToArray()));

        // A 421 is an answer (the server does not have it: try again); a drop after the end of data leaves the
        // client unable to know, so it says the message may have been delivered and is not transient.
        Assert.Equal(kind == SmtpSinkFaultKind.ShutDown, error.IsTransient);
        Assert.Equal(kind == SmtpSinkFaultKind.Drop, error.MayHaveBeenDelivered);
        Assert.Equal(0, sink.Messages);
        Assert.Equal(1, sink.GetInjectedFaults(kind));
    }

    [Fact]
    public async Task TheLastBdatChunkIsTheEndOfDataAndEarlierChunksAreBdat()
    {
        await using SmtpSink sink = Start("BDAT:4xx=1");
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string[] replies = await client.SendAsync("EHLO raw.test\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nBDAT 3\r\nabcBDAT 2 LAST\r\nde", 5);

        // The faulted chunk ends the transaction; the last chunk is then refused, as RFC 3030 section 2 has it.
        Assert.Equal(["451 4.3.0 Injected fault: try again later", "503 5.5.1 Need MAIL and RCPT before BDAT"], replies[3..]);
        Assert.Equal(0, sink.Messages);
    }

    [Fact]
    public async Task ReceivedMessagesAreExactlyThoseAcceptedWhateverTheFaultsAtTheirEnd()
    {
        await using SmtpSink sink = Start("EOD:4xx=0.2", "EOD:5xx=0.2");
        int accepted = 0;
        int refused = 0;
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, s_client))
        {
            for (int i = 0; i < 200; i++)
            {
                try
                {
                    await connection.SendAsync(new SmtpEnvelope("a@b.c", "d@e.f"), "hi\r\n"u8.ToArray());
                    accepted++;
                }
                catch (SmtpReplyException)
                {
                    refused++;
                }
            }

            await connection.QuitAsync();
        }

        Assert.Equal(200, accepted + refused);
        Assert.Equal(accepted, sink.Messages);
        Assert.Equal(refused, sink.GetInjectedFaults(SmtpSinkFaultKind.TransientReply) + sink.GetInjectedFaults(SmtpSinkFaultKind.PermanentReply));
        Assert.InRange(refused, 40, 120);
    }

    private static async Task<string[]> NoopRepliesAsync(int seed)
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Faults = [SmtpSinkFault.Parse("NOOP:4xx=0.3"), SmtpSinkFault.Parse("NOOP:5xx=0.2")],
            FaultSeed = seed,
        });
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        return await client.SendAsync(string.Concat(Enumerable.Repeat("NOOP\r\n", 300)), 300);
    }

    private static SmtpSink Start(params string[] faults) => SmtpSink.Start(new SmtpSinkOptions
    {
        Faults = [.. faults.Select(SmtpSinkFault.Parse)],
        FaultSeed = 7,
    });
}
