using System.Buffers;
using CsCheck;
using SmtpCodec.Data;

namespace SmtpCodec.Tests.Data;

/// <summary>Generators, chunked drivers and a byte-wise reference model shared by the DATA and BDAT tests.</summary>
internal static class DataFixtures
{
    /// <summary>A 76-character line of clean text, so that whole 64-byte blocks take the vector path.</summary>
    private static readonly byte[] CleanLine = "The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqrs\r\n"u8.ToArray();

    /// <summary>Message bytes with dots, CR, LF, CRLF, NUL and high bytes over-represented, and clean lines in between.</summary>
    public static readonly Gen<byte[]> Message =
        Gen.Frequency(
            (4, Gen.Const(new[] { (byte)'.' })),
            (3, Gen.Const(new[] { (byte)'\r' })),
            (3, Gen.Const(new[] { (byte)'\n' })),
            (4, Gen.Const(new[] { (byte)'\r', (byte)'\n' })),
            (2, Gen.Const(new[] { (byte)'\r', (byte)'\n', (byte)'.' })),
            (1, Gen.Const(new[] { (byte)0 })),
            (2, Gen.Byte[0x80, 0xFF].Array[1, 3]),
            (6, Gen.Byte[0x20, 0x7E].Array[1, 40]),
            (2, Gen.Const(CleanLine)),
            (1, Gen.Byte.Array[1, 8]))
        .Array[0, 60]
        .Select(parts => parts.SelectMany(part => part).ToArray());

    /// <summary>Long runs of clean lines with rare lone breaks and leading dots, so that whole runs of 64-byte blocks are copied at once.</summary>
    public static readonly Gen<byte[]> MostlyClean =
        Gen.Frequency(
            (30, Gen.Const(CleanLine)),
            (1, Gen.Const(new[] { (byte)'.' })),
            (1, Gen.Const(new[] { (byte)'\n' })),
            (1, Gen.Const(new[] { (byte)'\r' })),
            (1, Gen.Byte[0x20, 0x7E].Array[1, 70]))
        .Array[0, 80]
        .Select(parts => parts.SelectMany(part => part).ToArray());

    /// <summary>Either kind of message.</summary>
    public static readonly Gen<byte[]> AnyMessage = Gen.OneOf(Message, MostlyClean);

    /// <summary>Chunk sizes for feeding the input: mostly small, some spanning whole blocks.</summary>
    public static readonly Gen<int[]> Chunking = Gen.Frequency((3, Gen.Int[1, 5]), (2, Gen.Int[6, 70]), (1, Gen.Int[71, 400])).Array[1, 12];

    public static IEnumerable<ReadOnlyMemory<byte>> Split(byte[] input, int[] sizes)
    {
        int offset = 0;
        for (int k = 0; offset < input.Length; k++)
        {
            int size = Math.Min(sizes[k % sizes.Length], input.Length - offset);
            yield return input.AsMemory(offset, size);
            offset += size;
        }
    }

    /// <summary>Every line break (CRLF, lone CR, lone LF) made CRLF, byte by byte.</summary>
    public static byte[] NormalizeLineBreaks(byte[] input)
    {
        var output = new List<byte>(input.Length * 2);
        for (int i = 0; i < input.Length; i++)
        {
            byte b = input[i];
            if (b == '\r' || b == '\n')
            {
                output.Add((byte)'\r');
                output.Add((byte)'\n');
                if (b == '\r' && i + 1 < input.Length && input[i + 1] == '\n')
                {
                    i++;
                }
            }
            else
            {
                output.Add(b);
            }
        }

        return [.. output];
    }

    /// <summary>The reference DATA encoding: normalize, double every dot that starts a line, append the terminator.</summary>
    public static byte[] ReferenceStuff(byte[] input)
    {
        byte[] normalized = NormalizeLineBreaks(input);
        var output = new List<byte>(normalized.Length + 8);
        bool lineStart = true;
        foreach (byte b in normalized)
        {
            if (lineStart && b == '.')
            {
                output.Add((byte)'.');
            }

            output.Add(b);
            lineStart = b == '\n';
        }

        if (!lineStart)
        {
            output.Add((byte)'\r');
            output.Add((byte)'\n');
        }

        output.AddRange(".\r\n"u8.ToArray());
        return [.. output];
    }

    /// <summary>Stuffs the input in the given chunks through the span overload, with exactly the bound as room each time.</summary>
    public static byte[] StuffInChunks(byte[] input, int[] sizes)
    {
        var stuffer = new DotStuffer();
        var output = new List<byte>();
        List<ReadOnlyMemory<byte>> chunks = [.. Split(input, sizes)];
        if (chunks.Count == 0)
        {
            chunks.Add(ReadOnlyMemory<byte>.Empty);
        }

        for (int k = 0; k < chunks.Count; k++)
        {
            bool final = k == chunks.Count - 1;
            var destination = new byte[DotStuffer.GetMaxStuffedLength(chunks[k].Length, final)];
            Assert.Equal(System.Buffers.OperationStatus.Done, stuffer.Stuff(chunks[k].Span, destination, out int consumed, out int written, final));
            Assert.Equal(chunks[k].Length, consumed);
            output.AddRange(destination.AsSpan(0, written).ToArray());
        }

        return [.. output];
    }

    /// <summary>Stuffs the whole input through the buffer-writer overload.</summary>
    public static byte[] StuffWhole(byte[] input)
    {
        var stuffer = new DotStuffer();
        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(OperationStatus.Done, stuffer.Stuff(input, writer, isFinalBlock: true));
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Unstuffs input in the given chunks; returns the status, the content and the bytes consumed.</summary>
    public static (OperationStatus Status, byte[] Content, long Consumed, DotUnstuffer Unstuffer) UnstuffInChunks(byte[] input, int[] sizes)
    {
        var unstuffer = new DotUnstuffer();
        var output = new List<byte>();
        List<ReadOnlyMemory<byte>> chunks = [.. Split(input, sizes)];
        OperationStatus status = OperationStatus.NeedMoreData;
        for (int k = 0; k < chunks.Count; k++)
        {
            // As long as the chunk: a held CR can make a call write one byte more than it consumed, and the rest follows in the next call.
            var destination = new byte[chunks[k].Length];
            ReadOnlySpan<byte> rest = chunks[k].Span;
            do
            {
                status = unstuffer.Unstuff(rest, destination, out int consumed, out int written, isFinalBlock: false);
                output.AddRange(destination.AsSpan(0, written).ToArray());
                rest = rest[consumed..];
            }
            while (status == OperationStatus.DestinationTooSmall && destination.Length > 0);

            if (status != OperationStatus.NeedMoreData)
            {
                break;
            }
        }

        return (status, [.. output], unstuffer.BytesConsumed, unstuffer);
    }
}
