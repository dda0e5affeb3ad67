using System.Buffers;

namespace SmtpCodec.Tests.Infrastructure;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/> values for split-every-way tests.</summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Of(params byte[][] parts) => Of(parts.Select(p => (ReadOnlyMemory<byte>)p));

    /// <summary>One segment per chunk, in order, as a pipe hands data over.</summary>
    public static ReadOnlySequence<byte> Of(IEnumerable<ReadOnlyMemory<byte>> chunks)
    {
        Segment? first = null;
        Segment? last = null;
        foreach (ReadOnlyMemory<byte> chunk in chunks)
        {
            last = last is null ? first = new Segment(chunk, 0) : last.Append(chunk);
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    public static ReadOnlySequence<byte> SplitAt(byte[] input, int offset) => Of(input[..offset], input[offset..]);

    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] input) =>
        input.Length == 0 ? ReadOnlySequence<byte>.Empty : Of(input.Select(b => new[] { b }).ToArray());

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
