using System.Buffers;
using CsCheck;
using SmtpCodec.Data;
using SmtpCodec.Protocol;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Data;

public sealed class MultiSegmentDataTests
{
    [Fact]
    public void StuffingASequenceEqualsStuffingOneSpan()
    {
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            var stuffer = new DotStuffer();
            var writer = new ArrayBufferWriter<byte>();

            Assert.Equal(OperationStatus.Done, stuffer.Stuff(Segments.Of(DataFixtures.Split(input, sizes)), writer, isFinalBlock: true));
            Assert.Equal(DataFixtures.StuffWhole(input), writer.WrittenSpan.ToArray());
        }, iter: 1000);
    }

    [Fact]
    public void UnstuffingASequenceStopsRightAfterTheTerminator()
    {
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking, Gen.Byte.Array[0, 20]).Sample((input, sizes, after) =>
        {
            byte[] stuffed = DataFixtures.ReferenceStuff(input);
            byte[] stream = [.. stuffed, .. after];
            ReadOnlySequence<byte> sequence = Segments.Of(DataFixtures.Split(stream, sizes));
            var unstuffer = new DotUnstuffer();
            var destination = new byte[stream.Length];

            OperationStatus status = unstuffer.Unstuff(sequence, destination, out SequencePosition consumed, out int written, isFinalBlock: true);

            Assert.Equal(OperationStatus.Done, status);
            Assert.Equal(stuffed.Length, sequence.Slice(0, consumed).Length);
            Assert.Equal(after, sequence.Slice(consumed).ToArray());
            (_, byte[] whole, _, _) = DataFixtures.UnstuffInChunks(stuffed, [stuffed.Length]);
            Assert.Equal(whole, destination.AsSpan(0, written).ToArray());
        }, iter: 1000);
    }

    [Fact]
    public void AMultiSegmentSequenceWithoutTerminatorIsMissingItInTheFinalBlock()
    {
        ReadOnlySequence<byte> sequence = Segments.Of("ab\r"u8.ToArray(), "\n.\r"u8.ToArray());
        var unstuffer = new DotUnstuffer();

        Assert.Equal(OperationStatus.InvalidData, unstuffer.Unstuff(sequence, new byte[8], out _, out _, isFinalBlock: true));
        Assert.Equal(SmtpCodecError.MissingDataTerminator, unstuffer.Error);
        Assert.Equal(6, unstuffer.ErrorOffset);
    }
}
