using System;
using System.Buffers;

namespace SmtpCodec.Data;

/// <summary>
/// Normalizes line breaks of a text body sent in BDAT chunks (RFC 3030 section 2), streaming: every
/// CRLF, lone CR and lone LF becomes CRLF; nothing else changes (BDAT has no dot-stuffing and no
/// terminator). The output of any chunking of the input equals one whole-input call. Allocates nothing.
/// </summary>
/// <remarks>A mutable struct: keep it in a field or a local and pass it by reference.</remarks>
public struct BdatLineBreakNormalizer
{
    private LineBreakEncoder _encoder;

    /// <summary>How many input bytes were consumed since the start of the body.</summary>
    public readonly long BytesConsumed => _encoder.Position;

    /// <summary>Whether the output so far ends with CRLF (or is empty).</summary>
    public readonly bool EndsWithLineBreak => _encoder.AtLineStart;

    /// <summary>The most bytes that normalizing <paramref name="sourceLength"/> input bytes can produce (every byte a lone LF: twice).</summary>
    /// <param name="sourceLength">The number of input bytes.</param>
    /// <returns>An upper bound of the output size that some input reaches.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The bound does not fit in an array.</exception>
    public static int GetMaxNormalizedLength(int sourceLength) => LineBreakEncoder.GetMaxEncodedLength(sourceLength);

    /// <summary>The exact number of bytes the next <see cref="Normalize(ReadOnlySpan{byte}, Span{byte}, out int, out int)"/> writes for <paramref name="source"/> (the BDAT chunk size), without changing the state.</summary>
    /// <param name="source">The next bytes of the body.</param>
    /// <returns>The normalized length.</returns>
    public readonly long GetNormalizedLength(ReadOnlySpan<byte> source) => _encoder.GetNormalizedLength(source);

    /// <summary>Forgets the body so far.</summary>
    public void Reset() => _encoder.Reset();

    /// <summary>Normalizes a chunk of the body into a span.</summary>
    /// <param name="source">The next bytes of the body.</param>
    /// <param name="destination">Where the normalized bytes go; bytes past <paramref name="bytesWritten"/> may be overwritten (scratch for block copies).</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="source"/> were consumed.</param>
    /// <param name="bytesWritten">How many bytes were written.</param>
    /// <returns>Done, or DestinationTooSmall when <paramref name="destination"/> filled up first.</returns>
    public OperationStatus Normalize(ReadOnlySpan<byte> source, Span<byte> destination, out int bytesConsumed, out int bytesWritten) =>
        _encoder.Encode(source, destination, stuffDots: false, rejectLongLines: false, out bytesConsumed, out bytesWritten);

    /// <summary>Normalizes a chunk of the body into a buffer writer.</summary>
    /// <param name="source">The next bytes of the body.</param>
    /// <param name="destination">Where the normalized bytes go.</param>
    /// <returns>The number of bytes written (a BDAT chunk size).</returns>
    public int Normalize(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        _ = _encoder.EncodeInPieces(source, destination, stuffDots: false, rejectLongLines: false, out long written);
        return checked((int)written);
    }
}
