using System.Buffers;
using System.Text;
using CsCheck;
using SmtpCodec.Data;
using SmtpCodec.Protocol;

namespace SmtpCodec.Tests.Data;

public sealed class DotUnstufferTests
{
    [Theory]
    [InlineData(".\r\n", "", 3)]
    [InlineData("a\r\n.\r\n", "a\r\n", 6)]
    [InlineData("..\r\n.\r\n", ".\r\n", 7)]
    [InlineData("a\r\n..b\r\n.\r\nMAIL FROM:<x>\r\n", "a\r\n.b\r\n", 11)]
    [InlineData("\r\n\r\n.\r\n", "\r\n\r\n", 7)]
    [InlineData("a.\r\nb\r\n.\r\n", "a.\r\nb\r\n", 10)]
    public void UnstuffingFindsTheEndOfDataAndLeavesTheRestUnread(string input, string content, int consumed)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(input);
        var destination = new byte[bytes.Length];
        var unstuffer = new DotUnstuffer();

        OperationStatus status = unstuffer.Unstuff(bytes, destination, out int bytesConsumed, out int written, isFinalBlock: false);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(content, Encoding.Latin1.GetString(destination, 0, written));
        Assert.Equal(consumed, bytesConsumed);
        Assert.True(unstuffer.IsCompleted);
    }

    [Theory]
    [InlineData("a\nb\r\n.\r\n", SmtpCodecError.BareLineFeedInData, 1)]
    [InlineData("\n.\r\n", SmtpCodecError.BareLineFeedInData, 0)]
    [InlineData("a\rb\r\n.\r\n", SmtpCodecError.BareCarriageReturnInData, 1)]
    [InlineData("a\r\n.\rb\r\n.\r\n", SmtpCodecError.BareCarriageReturnInData, 4)]
    [InlineData("a\r\n.\n", SmtpCodecError.BareLineFeedInData, 4)]
    [InlineData("a\r\r\n.\r\n", SmtpCodecError.BareCarriageReturnInData, 1)]
    [InlineData("a\r\n.\r\r\n", SmtpCodecError.BareCarriageReturnInData, 4)]
    public void ABareLineBreakInTheDataIsAnErrorAtItsOffset(string input, SmtpCodecError error, int offset)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(input);
        Assert.All(Enumerable.Range(1, bytes.Length), size =>
        {
            (OperationStatus status, _, _, DotUnstuffer unstuffer) = DataFixtures.UnstuffInChunks(bytes, [size]);

            Assert.Equal(OperationStatus.InvalidData, status);
            Assert.Equal(error, unstuffer.Error);
            Assert.Equal(offset, unstuffer.ErrorOffset);
        });
    }

    [Fact]
    public void ABareLineFeedDeepInsideCleanBlocksIsFound()
    {
        byte[] clean = [.. Enumerable.Repeat("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrs\r\n"u8.ToArray(), 10).SelectMany(l => l)];
        byte[] input = [.. clean, .. "bad\nline\r\n.\r\n"u8.ToArray()];

        (OperationStatus status, _, _, DotUnstuffer unstuffer) = DataFixtures.UnstuffInChunks(input, [input.Length]);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(SmtpCodecError.BareLineFeedInData, unstuffer.Error);
        Assert.Equal(clean.Length + 3, unstuffer.ErrorOffset);
    }

    [Fact]
    public void DataWithoutATerminatorNeedsMoreAndIsAnErrorInTheFinalBlock()
    {
        byte[] input = "a\r\n.\r"u8.ToArray();
        var unstuffer = new DotUnstuffer();
        var destination = new byte[input.Length];

        Assert.Equal(OperationStatus.NeedMoreData, unstuffer.Unstuff(input, destination, out int consumed, out _, isFinalBlock: false));
        Assert.Equal(input.Length, consumed);
        Assert.Equal(OperationStatus.InvalidData, unstuffer.Unstuff([], destination, out _, out _, isFinalBlock: true));
        Assert.Equal(SmtpCodecError.MissingDataTerminator, unstuffer.Error);
        Assert.Equal(input.Length, unstuffer.ErrorOffset);
    }

    [Fact]
    public void TheTerminatorIsFoundAtEverySplitOfTheInput()
    {
        byte[] input = "x\r\n..\r\n.y\r\n\r\n.\r\nQUIT\r\n"u8.ToArray();
        for (int split = 0; split <= input.Length; split++)
        {
            var unstuffer = new DotUnstuffer();
            var destination = new byte[input.Length];
            OperationStatus first = unstuffer.Unstuff(input.AsSpan(0, split), destination, out int consumed, out int written, isFinalBlock: false);
            int second = 0;
            if (first == OperationStatus.NeedMoreData)
            {
                Assert.Equal(OperationStatus.Done, unstuffer.Unstuff(input.AsSpan(split), destination.AsSpan(written), out second, out int more, isFinalBlock: false));
                written += more;
            }

            Assert.Equal("x\r\n.\r\ny\r\n\r\n"u8.ToArray(), destination.AsSpan(0, written).ToArray());
            Assert.Equal(input.Length - 6, consumed + second);
        }
    }

    [Fact]
    public void AnyChunkingOfStuffedInputGivesTheSameContent()
    {
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            byte[] stuffed = DataFixtures.ReferenceStuff(input);
            (_, byte[] whole, _, _) = DataFixtures.UnstuffInChunks(stuffed, [stuffed.Length]);
            (OperationStatus status, byte[] chunked, _, _) = DataFixtures.UnstuffInChunks(stuffed, sizes);

            Assert.Equal(OperationStatus.Done, status);
            Assert.Equal(whole, chunked);
        }, iter: 2000);
    }

    [Fact]
    public void ARandomStreamNeverEndsEarlierThanItsFirstCrLfDotCrLf()
    {
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            (OperationStatus status, _, long consumed, _) = DataFixtures.UnstuffInChunks(input, sizes);
            if (status == OperationStatus.Done)
            {
                byte[] withStart = [(byte)'\r', (byte)'\n', .. input];
                Assert.Equal(withStart.AsSpan().IndexOf("\r\n.\r\n"u8) + 3, consumed);
            }
        }, iter: 2000);
    }

    [Fact]
    public void UnstuffingAllocatesNothing()
    {
        byte[] stuffed = DataFixtures.ReferenceStuff([.. Enumerable.Repeat("line\r\n.dot\r\n0123456789012345678901234567890123456789012345678901234567890123456789\r\n"u8.ToArray(), 100).SelectMany(l => l)]);
        var destination = new byte[stuffed.Length];
        var unstuffer = new DotUnstuffer();
        unstuffer.Unstuff(stuffed, destination, out _, out _, isFinalBlock: true);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 200; k++)
        {
            unstuffer.Reset();
            unstuffer.Unstuff(stuffed.AsSpan(0, 100), destination, out int first, out int written, isFinalBlock: false);
            unstuffer.Unstuff(stuffed.AsSpan(first), destination.AsSpan(written), out _, out _, isFinalBlock: true);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(unstuffer.IsCompleted);
    }

    [Theory]
    [InlineData("abc\r\n.\r\n", 5, true, 0)]
    [InlineData("abcd\r\n.\r\n", 5, false, 5)]
    [InlineData("..\r\n.\r\n", 3, true, 0)]
    [InlineData("x\r\n..\r\n.\r\n", 5, false, 6)]
    public void ContentBeyondTheLimitIsTooLargeAtItsOffsetForEveryChunking(string input, long limit, bool accepted, long offset)
    {
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(input);
        for (int size = 1; size <= bytes.Length; size++)
        {
            var unstuffer = new DotUnstuffer(limit);
            OperationStatus status = OperationStatus.NeedMoreData;
            foreach (ReadOnlyMemory<byte> chunk in DataFixtures.Split(bytes, [size]))
            {
                status = unstuffer.Unstuff(chunk.Span, new byte[64], out _, out _, isFinalBlock: false);
                if (status != OperationStatus.NeedMoreData)
                {
                    break;
                }
            }

            if (accepted)
            {
                Assert.Equal(OperationStatus.Done, status);
                Assert.True(unstuffer.ContentLength <= limit);
            }
            else
            {
                Assert.Equal(OperationStatus.InvalidData, status);
                Assert.Equal(SmtpCodecError.MessageTooLarge, unstuffer.Error);
                Assert.Equal(offset, unstuffer.ErrorOffset);
            }
        }
    }

    [Theory]
    [InlineData("ab\rc\r\n.\r\n", 1)]
    [InlineData("ab\rc\r\n.\r\n", 3)]
    [InlineData("ab\rc\r\n.\r\n", 100)]
    public void ABareCarriageReturnNeverReachesTheContent(string input, int chunk)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(input);
        (OperationStatus status, byte[] content, _, DotUnstuffer unstuffer) = DataFixtures.UnstuffInChunks(bytes, [chunk]);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(SmtpCodecError.BareCarriageReturnInData, unstuffer.Error);
        Assert.Equal(2, unstuffer.ErrorOffset);
        Assert.Equal("ab"u8.ToArray(), content);
    }

    [Fact]
    public void ACarriageReturnEndingAChunkIsHeldUntilItsLineFeedArrives()
    {
        var unstuffer = new DotUnstuffer();
        var destination = new byte[8];

        Assert.Equal(OperationStatus.NeedMoreData, unstuffer.Unstuff("ab\r"u8, destination, out int consumed, out int written, isFinalBlock: false));
        Assert.Equal(3, consumed);
        Assert.Equal("ab"u8.ToArray(), destination.AsSpan(0, written).ToArray());

        Assert.Equal(OperationStatus.NeedMoreData, unstuffer.Unstuff("\n"u8, destination, out consumed, out written, isFinalBlock: false));
        Assert.Equal(1, consumed);
        Assert.Equal("\r\n"u8.ToArray(), destination.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void ACrLfIntoAOneByteDestinationArrivesWholeOverTwoCalls()
    {
        var unstuffer = new DotUnstuffer();
        var destination = new byte[1];

        Assert.Equal(OperationStatus.NeedMoreData, unstuffer.Unstuff("\r"u8, destination, out _, out int written, isFinalBlock: false));
        Assert.Equal(0, written);
        Assert.Equal(OperationStatus.DestinationTooSmall, unstuffer.Unstuff("\n.\r\n"u8, destination, out int consumed, out written, isFinalBlock: false));
        Assert.Equal((1, (byte)'\r'), (consumed, destination[0]));
        Assert.Equal(OperationStatus.Done, unstuffer.Unstuff(".\r\n"u8, destination, out consumed, out written, isFinalBlock: false));
        Assert.Equal((3, 1, (byte)'\n'), (consumed, written, destination[0]));
    }
}
