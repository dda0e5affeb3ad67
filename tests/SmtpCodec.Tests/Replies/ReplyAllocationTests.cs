using System.Buffers;
using System.Text;
using SmtpCodec.Capabilities;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Replies;

/// <summary>Reading replies and capabilities allocates nothing (docs/architecture.md, "Codec rules").</summary>
public sealed class ReplyAllocationTests
{
    private static readonly byte[] s_iCloud = Encoding.ASCII.GetBytes(ReplyFixtures.ICloudEhlo);
    private static readonly byte[] s_batch = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("250 2.1.5 Ok\r\n550-5.1.1 No such user\r\n550 5.1.1 really\r\n", 40)));

    [Fact]
    public void ReadingTheICloudEhloReplyFromASpanAllocatesNothing()
    {
        long bytes = Allocations.Measure(() =>
        {
            var reader = new SmtpReplyReader(s_iCloud, isFinalBlock: true);
            Require(reader.Read(out SmtpReply reply) == OperationStatus.Done);
            Require(reply.LineCount == 9);
        });

        Assert.Equal(0, bytes);
    }

    [Fact]
    public void ReadingAPipelinedBatchAndWalkingEveryLineAllocatesNothing()
    {
        long bytes = Allocations.Measure(() =>
        {
            var reader = new SmtpReplyReader(new ReadOnlySequence<byte>(s_batch), isFinalBlock: true);
            int total = 0;
            while (reader.Read(out SmtpReply reply) == OperationStatus.Done)
            {
                foreach (SmtpReplyLine line in reply.GetLines())
                {
                    total += line.Length;
                }

                total += reply.EnhancedStatusCode?.Detail ?? 0;
            }

            Require(total > 0);
        });

        Assert.Equal(0, bytes);
    }

    [Fact]
    public void ReadingFromAMultiSegmentSequenceAllocatesNothing()
    {
        ReadOnlySequence<byte> sequence = Segments.Of(s_iCloud[..50], s_iCloud[50..120], s_iCloud[120..]);
        long bytes = Allocations.Measure(() =>
        {
            var reader = new SmtpReplyReader(sequence, isFinalBlock: true);
            Require(reader.Read(out SmtpReply reply) == OperationStatus.Done);
            foreach (SmtpReplyLine line in reply.GetLines())
            {
                Require(line.Length >= 0);
            }
        });

        Assert.Equal(0, bytes);
    }

    [Fact]
    public void ResumingAReplyThatArrivesInPiecesAllocatesNothing()
    {
        long bytes = Allocations.Measure(() =>
        {
            var state = new SmtpReplyReaderState(SmtpReplyReaderOptions.Default);
            for (int available = 10; available < s_iCloud.Length; available += 10)
            {
                var partial = new SmtpReplyReader(s_iCloud.AsSpan(0, available), isFinalBlock: false, state);
                Require(partial.Read(out _) == OperationStatus.NeedMoreData);
                state = partial.CurrentState;
            }

            var whole = new SmtpReplyReader(s_iCloud, isFinalBlock: true, state);
            Require(whole.Read(out _) == OperationStatus.Done);
        });

        Assert.Equal(0, bytes);
    }

    [Fact]
    public void ReadingCapabilitiesIntoAReusedInstanceAllocatesNothing()
    {
        var caps = new EhloCapabilities();
        long bytes = Allocations.Measure(() =>
        {
            var reader = new SmtpReplyReader(s_iCloud, isFinalBlock: true);
            reader.Read(out SmtpReply reply);
            Require(caps.Read(reply) == SmtpCodecError.None);
            Require(caps.Supports(EhloKeyword.Pipelining));
            Require(caps.SizeLimit == 28319744UL);
        });

        Assert.Equal(0, bytes);
    }

    [Fact]
    public void AnInvalidReplyAllocatesNothingEither()
    {
        byte[] bad = "250-a\r\n251 b\r\n"u8.ToArray();
        long bytes = Allocations.Measure(() =>
        {
            var reader = new SmtpReplyReader(bad, isFinalBlock: true);
            Require(reader.Read(out _) == OperationStatus.InvalidData);
            Require(reader.Error == SmtpCodecError.MismatchedContinuationCode);
        });

        Assert.Equal(0, bytes);
    }

    /// <summary>A check that allocates nothing when it holds (xunit's asserts may box or format).</summary>
    private static void Require(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("A check inside a measured action failed.");
        }
    }
}
