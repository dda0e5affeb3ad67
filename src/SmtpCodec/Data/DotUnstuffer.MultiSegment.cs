using System;
using System.Buffers;

namespace SmtpCodec.Data;

/// <summary>The multi-segment path of <see cref="DotUnstuffer"/>: each segment goes through the span path, so results are identical.</summary>
public partial struct DotUnstuffer
{
    /// <summary>Unstuffs data held in a sequence (a pipe's buffer) into a span.</summary>
    /// <param name="source">The bytes received after the 354 reply.</param>
    /// <param name="destination">Where the content goes; as long as <paramref name="source"/> always suffices.</param>
    /// <param name="consumed">The end of what was consumed: on Done, the first byte after the terminator.</param>
    /// <param name="bytesWritten">How many content bytes were written.</param>
    /// <param name="isFinalBlock">Whether no more input follows: data without a terminator is then an error.</param>
    /// <returns>As <see cref="Unstuff(ReadOnlySpan{byte}, Span{byte}, out int, out int, bool)"/>.</returns>
    public OperationStatus Unstuff(
        in ReadOnlySequence<byte> source,
        Span<byte> destination,
        out SequencePosition consumed,
        out int bytesWritten,
        bool isFinalBlock)
    {
        OperationStatus status;
        if (source.IsSingleSegment)
        {
            status = Unstuff(source.FirstSpan, destination, out int used, out bytesWritten, isFinalBlock);
            consumed = source.GetPosition(used);
            return status;
        }

        long total = 0;
        int written = 0;
        status = OperationStatus.NeedMoreData;
        foreach (ReadOnlyMemory<byte> segment in source)
        {
            status = Unstuff(segment.Span, destination[written..], out int used, out int segmentWritten, isFinalBlock: false);
            total += used;
            written += segmentWritten;
            if (status != OperationStatus.NeedMoreData)
            {
                break;
            }
        }

        if (status == OperationStatus.NeedMoreData && isFinalBlock)
        {
            status = Unstuff([], destination[written..], out _, out _, isFinalBlock: true);
        }

        consumed = source.GetPosition(total);
        bytesWritten = written;
        return status;
    }
}
