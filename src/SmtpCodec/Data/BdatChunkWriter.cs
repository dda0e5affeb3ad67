using System;
using System.Buffers;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;

namespace SmtpCodec.Data;

/// <summary>
/// Writes a message as BDAT chunks (RFC 3030 section 2): each chunk is <c>BDAT size [LAST]</c> CRLF
/// followed by exactly <c>size</c> octets, with no dot-stuffing and no terminator. Text bodies can
/// have their line breaks normalized to CRLF on the way, streaming across chunks (a CR ending one
/// chunk and an LF starting the next make one line break); binary bodies (BINARYMIME) pass raw.
/// Allocates nothing.
/// </summary>
/// <remarks>A mutable struct: keep it in a field or a local and pass it by reference.</remarks>
public struct BdatChunkWriter
{
    private BdatLineBreakNormalizer _normalizer;

    /// <summary>Creates a chunk writer.</summary>
    /// <param name="normalizeLineBreaks">Whether to make every CRLF, lone CR and lone LF a CRLF (text bodies); false sends the bytes as they are.</param>
    public BdatChunkWriter(bool normalizeLineBreaks)
    {
        NormalizesLineBreaks = normalizeLineBreaks;
    }

    /// <summary>Whether line breaks are normalized to CRLF.</summary>
    public bool NormalizesLineBreaks { get; }

    /// <summary>Forgets the message so far.</summary>
    public void Reset() => _normalizer.Reset();

    /// <summary>Writes one chunk: its BDAT command and its bytes.</summary>
    /// <param name="chunk">The body bytes of this chunk (may be empty, e.g. for a final <c>BDAT 0 LAST</c>).</param>
    /// <param name="destination">Where the command and the chunk go.</param>
    /// <param name="last">Whether this chunk ends the message.</param>
    /// <returns>The bytes written (command and chunk).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The chunk's output would pass 2 GB.</exception>
    /// <exception cref="InvalidOperationException">The bytes written differ from the declared size (the chunk changed while it was written).</exception>
    public CommandWriteResult WriteChunk(ReadOnlySpan<byte> chunk, IBufferWriter<byte> destination, bool last)
    {
        ArgumentNullException.ThrowIfNull(destination);
        long size = NormalizesLineBreaks ? _normalizer.GetNormalizedLength(chunk) : chunk.Length;
        if (size > int.MaxValue - SmtpCommandWriter.MaxCommandLineLength)
        {
            throw new ArgumentOutOfRangeException(nameof(chunk), "A chunk is written in one call, so its output must fit in an int; split it.");
        }

        CommandWriteResult header = SmtpCommandWriter.WriteBdat(destination, size, last);
        if (!header.Succeeded)
        {
            return header;
        }

        int written = chunk.Length;
        if (NormalizesLineBreaks)
        {
            written = _normalizer.Normalize(chunk, destination);
        }
        else
        {
            destination.Write(chunk);
        }

        // The receiver reads exactly the declared size (RFC 3030 section 2): any other count would let
        // the bytes after it pass as commands (smuggling), e.g. when the chunk changed under us.
        if (written != size)
        {
            throw new InvalidOperationException($"The BDAT chunk declared {size} bytes but {written} were written; the connection is no longer in step.");
        }

        return new CommandWriteResult(SmtpCodecError.None, null, header.BytesWritten + (int)size, false);
    }
}
