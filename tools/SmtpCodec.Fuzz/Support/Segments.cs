using System.Buffers;

namespace SmtpCodec.Fuzz.Support;

/// <summary>Builds a multi-segment <see cref="ReadOnlySequence{T}"/> out of an input, each segment in its own guarded buffer.</summary>
public static class Segments
{
    /// <summary>The input cut at <paramref name="cuts"/> (see <see cref="DerivedRandom.Cuts"/>), segment i in guarded slot <paramref name="firstSlot"/> + i.</summary>
    /// <param name="input">The bytes.</param>
    /// <param name="cuts">Ascending ends of the pieces, the last one the input's length; empty pieces are kept as empty segments.</param>
    /// <param name="firstSlot">The first guarded slot to use (later slots follow).</param>
    /// <returns>The sequence.</returns>
    public static ReadOnlySequence<byte> Cut(ReadOnlySpan<byte> input, int[] cuts, int firstSlot)
    {
        Segment? first = null;
        Segment? last = null;
        int start = 0;
        for (int i = 0; i < cuts.Length; i++)
        {
            ReadOnlyMemory<byte> memory = GuardedBuffers.Get(firstSlot + i).CopyToTail(input[start..cuts[i]]);
            start = cuts[i];
            var segment = new Segment(memory, last is null ? 0 : last.RunningIndex + last.Memory.Length);
            if (last is null)
            {
                first = segment;
            }
            else
            {
                last.SetNext(segment);
            }

            last = segment;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
