using System.Buffers;
using System.Text;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Replies;

/// <summary>The result of reading an input to its end: the replies, then the error (if any) and its offset.</summary>
public sealed record ReadOutcome(IReadOnlyList<string> Replies, SmtpCodecError Error, long ErrorOffset)
{
    public override string ToString() => $"[{string.Join(", ", Replies)}] {Error}@{ErrorOffset}";

    public bool SameAs(ReadOutcome other) =>
        Replies.SequenceEqual(other.Replies) && Error == other.Error && ErrorOffset == other.ErrorOffset;
}

/// <summary>
/// Reads an input every way the reader can meet it and checks that every way gives the same outcome:
/// one span, one span in an oversized buffer, a single-segment sequence, two segments split at every
/// offset, one byte per segment, and streamed (a pipe's way: NeedMoreData, keep the state, call again
/// with the unconsumed bytes plus more) in two pieces split at every offset and one byte at a time.
/// </summary>
public static class ReplyReadingHarness
{
    public static void AssertEveryWay(ReplyFixture fixture)
    {
        var expected = new ReadOutcome(fixture.Replies.Select(r => r.Canonical).ToArray(), fixture.Error, fixture.ErrorOffset);
        foreach ((string way, ReadOutcome outcome) in EveryWay(fixture.Input, fixture.Options))
        {
            Assert.True(outcome.SameAs(expected), $"{fixture.Name}, read {way}:\n  expected {expected}\n  actual   {outcome}");
        }
    }

    public static IEnumerable<(string Way, ReadOutcome Outcome)> EveryWay(byte[] input, SmtpReplyReaderOptions? options)
    {
        yield return ("whole", ReadSpan(input, options));

        byte[] oversized = new byte[input.Length + 64];
        oversized.AsSpan().Fill((byte)'2');
        input.CopyTo(oversized, 16);
        yield return ("in an oversized buffer", ReadSpan(oversized.AsSpan(16, input.Length), options));

        yield return ("as a single-segment sequence", ReadSequence(new ReadOnlySequence<byte>(input), options));
        for (int split = 0; split <= input.Length; split++)
        {
            yield return ($"as two segments split at {split}", ReadSequence(Segments.SplitAt(input, split), options));
            yield return ($"streamed in two reads split at {split}", ReadStreamed(input, [split, input.Length], options));
        }

        yield return ("one byte per segment", ReadSequence(Segments.OneBytePerSegment(input), options));
        yield return ("streamed one byte at a time", ReadStreamed(input, Enumerable.Range(1, input.Length).Prepend(0).ToArray(), options));
    }

    public static ReadOutcome ReadSpan(ReadOnlySpan<byte> input, SmtpReplyReaderOptions? options)
    {
        var replies = new List<string>();
        var reader = new SmtpReplyReader(input, isFinalBlock: true, new SmtpReplyReaderState(options));
        OperationStatus status;
        while ((status = reader.Read(out SmtpReply reply)) == OperationStatus.Done)
        {
            replies.Add(Canonical(reply));
        }

        return Finish(replies, status, reader.Error, reader.ErrorOffset, reader.BytesConsumed, input.Length);
    }

    public static ReadOutcome ReadSequence(ReadOnlySequence<byte> input, SmtpReplyReaderOptions? options)
    {
        var replies = new List<string>();
        var reader = new SmtpReplyReader(input, isFinalBlock: true, new SmtpReplyReaderState(options));
        OperationStatus status;
        while ((status = reader.Read(out SmtpReply reply)) == OperationStatus.Done)
        {
            replies.Add(Canonical(reply));
        }

        Assert.Equal(input.GetPosition(reader.BytesConsumed), reader.Position);
        return Finish(replies, status, reader.Error, reader.ErrorOffset, reader.BytesConsumed, input.Length);
    }

    /// <summary>Feeds the input as a pipe would: at each boundary more bytes are available.</summary>
    public static ReadOutcome ReadStreamed(byte[] input, int[] boundaries, SmtpReplyReaderOptions? options)
    {
        var replies = new List<string>();
        var state = new SmtpReplyReaderState(options);
        long consumed = 0;
        foreach (int available in boundaries)
        {
            bool final = available == input.Length;
            var reader = new SmtpReplyReader(input.AsSpan((int)consumed, available - (int)consumed), final, state);
            OperationStatus status;
            while ((status = reader.Read(out SmtpReply reply)) == OperationStatus.Done)
            {
                replies.Add(Canonical(reply));
            }

            if (status == OperationStatus.InvalidData)
            {
                return new ReadOutcome(replies, reader.Error, consumed + reader.ErrorOffset);
            }

            // NeedMoreData: only whole replies were consumed; the rest stays for the next read.
            Assert.True(reader.CurrentState.PendingBytes == available - consumed - reader.BytesConsumed, "the state accounts for every unconsumed byte it scanned");
            consumed += reader.BytesConsumed;
            state = reader.CurrentState;
            if (final)
            {
                Assert.Equal(input.Length, consumed);
                return new ReadOutcome(replies, SmtpCodecError.None, 0);
            }
        }

        throw new InvalidOperationException("boundaries must end at the input's length");
    }

    public static string Canonical(SmtpReply reply)
    {
        var lines = new List<string>();
        var buffer = new byte[reply.HasRawSequence ? reply.RawSequence.Length : reply.RawSpan.Length];
        int count = 0;
        foreach (SmtpReplyLine line in reply.GetLines())
        {
            int length = line.CopyTo(buffer);
            lines.Add(Encoding.Latin1.GetString(buffer, 0, length));
            Assert.True(line.TextEquals(buffer.AsSpan(0, length)));
            count++;
        }

        Assert.Equal(reply.LineCount, count);
        return $"{reply.Code}|{reply.EnhancedStatusCode?.ToString() ?? "-"}|{string.Join("\u0001", lines)}";
    }

    private static ReadOutcome Finish(List<string> replies, OperationStatus status, SmtpCodecError error, long errorOffset, long consumed, long length)
    {
        if (status == OperationStatus.InvalidData)
        {
            return new ReadOutcome(replies, error, errorOffset);
        }

        Assert.Equal(OperationStatus.NeedMoreData, status);
        Assert.Equal(length, consumed);
        return new ReadOutcome(replies, SmtpCodecError.None, 0);
    }
}
