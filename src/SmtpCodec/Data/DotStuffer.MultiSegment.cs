using System;
using System.Buffers;

namespace SmtpCodec.Data;

/// <summary>The multi-segment path of <see cref="DotStuffer"/>: each segment goes through the span path, so output is identical.</summary>
public partial struct DotStuffer
{
    /// <summary>Stuffs message bytes held in a sequence into a buffer writer.</summary>
    /// <param name="source">The next bytes of the message.</param>
    /// <param name="destination">Where the stuffed bytes go.</param>
    /// <param name="isFinalBlock">Whether <paramref name="source"/> ends the message: the terminator is written too.</param>
    /// <returns>Done, or InvalidData when a line is too long and <see cref="RejectsLongLines"/> is set.</returns>
    /// <exception cref="InvalidOperationException">The terminator was already written; call <see cref="Reset"/>.</exception>
    public OperationStatus Stuff(in ReadOnlySequence<byte> source, IBufferWriter<byte> destination, bool isFinalBlock)
    {
        if (source.IsSingleSegment)
        {
            return Stuff(source.FirstSpan, destination, isFinalBlock);
        }

        foreach (ReadOnlyMemory<byte> segment in source)
        {
            if (Stuff(segment.Span, destination, isFinalBlock: false) == OperationStatus.InvalidData)
            {
                return OperationStatus.InvalidData;
            }
        }

        return isFinalBlock ? Stuff(ReadOnlySpan<byte>.Empty, destination, isFinalBlock: true) : OperationStatus.Done;
    }
}
