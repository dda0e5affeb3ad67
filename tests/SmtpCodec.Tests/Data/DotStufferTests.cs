using System.Buffers;
using System.Text;
using CsCheck;
using SmtpCodec.Data;
using SmtpCodec.Protocol;

namespace SmtpCodec.Tests.Data;

public sealed class DotStufferTests
{
    [Theory]
    [InlineData("", ".\r\n")]
    [InlineData("a", "a\r\n.\r\n")]
    [InlineData("a\r\n", "a\r\n.\r\n")]
    [InlineData(".", "..\r\n.\r\n")]
    [InlineData(".\r\n", "..\r\n.\r\n")]
    [InlineData("a\r\n.b\r\n", "a\r\n..b\r\n.\r\n")]
    [InlineData("a\n.b", "a\r\n..b\r\n.\r\n")]
    [InlineData("a\r.b", "a\r\n..b\r\n.\r\n")]
    [InlineData("a\r\r\nb", "a\r\n\r\nb\r\n.\r\n")]
    [InlineData("\n\r", "\r\n\r\n.\r\n")]
    [InlineData("a.b\r\n x.", "a.b\r\n x.\r\n.\r\n")]
    [InlineData("\r\n.\r\n", "\r\n..\r\n.\r\n")]
    public void StuffingGivesTheKnownEncoding(string input, string expected)
    {
        byte[] output = DataFixtures.StuffWhole(Encoding.Latin1.GetBytes(input));

        Assert.Equal(expected, Encoding.Latin1.GetString(output));
    }

    [Fact]
    public void NulHighBytesAndLongLinesPassUnchanged()
    {
        byte[] input = [0, 0x80, 0xFF, .. Enumerable.Repeat((byte)'x', 5000), 0xC3, 0xA9];

        byte[] output = DataFixtures.StuffWhole(input);

        Assert.Equal([.. input, .. "\r\n.\r\n"u8.ToArray()], output);
    }

    [Fact]
    public void StuffingMatchesTheByteWiseReferenceForAnyInputAndChunking()
    {
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            byte[] expected = DataFixtures.ReferenceStuff(input);
            Assert.Equal(expected, DataFixtures.StuffWhole(input));
            Assert.Equal(expected, DataFixtures.StuffInChunks(input, sizes));
        }, iter: 3000);
    }

    [Fact]
    public void ACarriageReturnEndingOneChunkAndALineFeedStartingTheNextMakeOneLineBreak()
    {
        byte[] output = DataFixtures.StuffInChunks("a\r\n.b"u8.ToArray(), [2, 1, 2]);

        Assert.Equal("a\r\n..b\r\n.\r\n"u8.ToArray(), output);
    }

    [Fact]
    public void StuffedOutputHasNoBareLineBreakAndNoEarlyTerminator()
    {
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            byte[] output = DataFixtures.StuffInChunks(input, sizes);
            for (int i = 0; i < output.Length; i++)
            {
                if (output[i] == '\r')
                {
                    Assert.True(i + 1 < output.Length && output[i + 1] == '\n', $"bare CR at {i}");
                }
                else if (output[i] == '\n')
                {
                    Assert.True(i > 0 && output[i - 1] == '\r', $"bare LF at {i}");
                }
            }

            int end = output.AsSpan().IndexOf("\r\n.\r\n"u8);
            Assert.True(end < 0 || end == output.Length - 5, $"terminator at {end} of {output.Length}");
            Assert.False(output.AsSpan().StartsWith(".\r\n"u8) && output.Length != 3);
        }, iter: 3000);
    }

    [Fact]
    public void UnstuffingTheStuffedMessageGivesItBackWithCrLfLineBreaksAndAFinalCrLf()
    {
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            byte[] expected = DataFixtures.NormalizeLineBreaks(input);
            if (expected.Length > 0 && !expected.AsSpan().EndsWith("\r\n"u8))
            {
                expected = [.. expected, (byte)'\r', (byte)'\n'];
            }

            (OperationStatus status, byte[] content, long consumed, _) = DataFixtures.UnstuffInChunks(DataFixtures.StuffInChunks(input, sizes), sizes);

            Assert.Equal(OperationStatus.Done, status);
            Assert.Equal(expected, content);
            Assert.Equal(DataFixtures.ReferenceStuff(input).Length, consumed);
        }, iter: 3000);
    }

    [Fact]
    public void TheMaximumStuffedLengthIsReachedByLineFeedsEndingWithADot()
    {
        byte[] input = [.. Enumerable.Repeat((byte)'\n', 9), (byte)'.'];

        byte[] output = DataFixtures.StuffWhole(input);

        Assert.Equal(DotStuffer.GetMaxStuffedLength(input.Length, isFinalBlock: true), output.Length);
        Assert.Equal(2 * input.Length, DotStuffer.GetMaxStuffedLength(input.Length, isFinalBlock: false));
    }

    [Fact]
    public void ASmallDestinationIsFilledAndTheRestFollowsInTheNextCall()
    {
        byte[] input = "..\r\nline two\r\n"u8.ToArray();
        var stuffer = new DotStuffer();
        var output = new List<byte>();
        var destination = new byte[3];
        ReadOnlySpan<byte> rest = input;
        OperationStatus status;
        do
        {
            status = stuffer.Stuff(rest, destination, out int consumed, out int written, isFinalBlock: true);
            output.AddRange(destination.AsSpan(0, written).ToArray());
            rest = rest[consumed..];
        }
        while (status == OperationStatus.DestinationTooSmall);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal("...\r\nline two\r\n.\r\n"u8.ToArray(), output.ToArray());
    }

    [Fact]
    public void AMessageCompletedOnceCannotBeStuffedAgainUntilReset()
    {
        var stuffer = new DotStuffer();
        var writer = new ArrayBufferWriter<byte>();
        stuffer.Stuff("a"u8, writer, isFinalBlock: true);

        Assert.True(stuffer.IsCompleted);
        try
        {
            stuffer.Stuff("b"u8, writer, isFinalBlock: true);
            Assert.Fail("a second terminator was accepted");
        }
        catch (InvalidOperationException)
        {
        }

        stuffer.Reset();
        writer.ResetWrittenCount();
        stuffer.Stuff("b"u8, writer, isFinalBlock: true);
        Assert.Equal("b\r\n.\r\n"u8.ToArray(), writer.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(998, 0, true)]
    [InlineData(999, 0, false)]
    [InlineData(998, 1, false)]
    [InlineData(997, 1, true)]
    public void TheOptInCheckRejectsLinesLongerThan998OctetsAsSent(int length, int leadingDots, bool accepted)
    {
        // Leading dots count as sent: one dot becomes two on the wire (RFC 5321 section 4.5.3.1.6).
        byte[] line = [.. Enumerable.Repeat((byte)'.', leadingDots), .. Enumerable.Repeat((byte)'x', length - leadingDots)];
        byte[] input = [.. "first\r\n"u8.ToArray(), .. line, (byte)'\r', (byte)'\n', (byte)'y'];
        var stuffer = new DotStuffer(rejectLongLines: true);
        var writer = new ArrayBufferWriter<byte>();

        OperationStatus status = stuffer.Stuff(input, writer, isFinalBlock: true);

        if (accepted)
        {
            Assert.Equal(OperationStatus.Done, status);
        }
        else
        {
            Assert.Equal(OperationStatus.InvalidData, status);
            Assert.Equal(SmtpCodecError.DataLineTooLong, stuffer.Error);
            Assert.Equal(7 + 998 - leadingDots, stuffer.ErrorOffset);
        }
    }

    [Fact]
    public void TheLongLineCheckFindsTheSameOffsetForAnyChunking()
    {
        Gen.Select(Gen.Int[990, 1100], Gen.Int[0, 200], DataFixtures.Chunking).Sample((length, prefix, sizes) =>
        {
            byte[] input = [.. Enumerable.Repeat((byte)'a', prefix), (byte)'\n', .. Enumerable.Repeat((byte)'b', length), (byte)'\r', (byte)'\n'];
            var stuffer = new DotStuffer(rejectLongLines: true);
            OperationStatus status = OperationStatus.Done;
            foreach (ReadOnlyMemory<byte> chunk in DataFixtures.Split(input, sizes))
            {
                var destination = new byte[DotStuffer.GetMaxStuffedLength(chunk.Length, false)];
                status = stuffer.Stuff(chunk.Span, destination, out _, out _, isFinalBlock: false);
                if (status != OperationStatus.Done)
                {
                    break;
                }
            }

            if (length <= 998)
            {
                Assert.Equal(OperationStatus.Done, status);
            }
            else
            {
                Assert.Equal(OperationStatus.InvalidData, status);
                Assert.Equal(prefix + 1 + 998, stuffer.ErrorOffset);
            }
        }, iter: 500);
    }

    [Theory]
    [InlineData("abc", "abc\r\n.\r\n")]
    [InlineData("abc\n", "abc\r\n.\r\n")]
    [InlineData("", ".\r\n")]
    [InlineData(".a\r.\n\r\n.", "..a\r\n..\r\n\r\n..\r\n.\r\n")]
    public void OneByteDestinationsTakeTheTerminatorInParts(string input, string expected)
    {
        byte[] source = Encoding.Latin1.GetBytes(input);
        var stuffer = new DotStuffer();
        var output = new List<byte>();
        var destination = new byte[1];
        OperationStatus status;
        int calls = 0;
        do
        {
            status = stuffer.Stuff(source, destination, out int consumed, out int written, isFinalBlock: true);
            output.AddRange(destination.AsSpan(0, written).ToArray());
            source = source[consumed..];
            Assert.True(++calls <= 40, "the stuffer made no progress with a 1-byte destination");
        }
        while (status == OperationStatus.DestinationTooSmall);

        Assert.Equal(OperationStatus.Done, status);
        Assert.True(stuffer.IsCompleted);
        Assert.Equal(expected, Encoding.Latin1.GetString(output.ToArray()));
    }

    [Fact]
    public void MoreInputAfterTheTerminatorHasBegunIsRefused()
    {
        var stuffer = new DotStuffer();
        var destination = new byte[2];
        Assert.Equal(OperationStatus.DestinationTooSmall, stuffer.Stuff("a"u8, destination, out _, out _, isFinalBlock: true));

        try
        {
            stuffer.Stuff("b"u8, destination, out _, out _, isFinalBlock: true);
            Assert.Fail("more input after the terminator began was accepted");
        }
        catch (InvalidOperationException)
        {
        }
    }
}
