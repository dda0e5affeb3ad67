using System.Buffers;
using CsCheck;
using SmtpCodec.Data;
using SmtpCodec.Protocol;

namespace SmtpCodec.Tests.Data;

/// <summary>
/// The DATA and BDAT property tests run again on each block-scan path this machine has (scalar,
/// Vector128, Vector256), so a machine with wide vectors still checks the narrow paths. Only this
/// collection switches the path; other tests see whichever path is set, and every path gives the same bytes.
/// </summary>
[Collection(Name)]
public sealed class ScanPathPropertyTests
{
    private const string Name = "CrLfBlockScanner paths";

    /// <summary>Lines around the 998-octet limit: long printable runs, dots, and every kind of line break.</summary>
    private static readonly Gen<byte[]> LongLines =
        Gen.Frequency(
            (4, Gen.Byte[0x20, 0x7E].Array[1, 400]),
            (2, Gen.Const(new[] { (byte)'\r', (byte)'\n' })),
            (1, Gen.Const(new[] { (byte)'\n' })),
            (1, Gen.Const(new[] { (byte)'\r' })),
            (1, Gen.Const(new[] { (byte)'.' })))
        .Array[0, 14]
        .Select(parts => parts.SelectMany(part => part).ToArray());

    /// <summary>Inputs dense in line breaks, as the dense-block and all-line-break paths take them: mostly LFs and CRs, some dots.</summary>
    private static readonly Gen<byte[]> DenseLineBreaks =
        Gen.Frequency(
            (8, Gen.Const((byte)'\n')),
            (3, Gen.Const((byte)'\r')),
            (1, Gen.Const((byte)'.')),
            (1, Gen.Const((byte)'a')))
        .Array[0, 700];

    public static TheoryData<string> Paths()
    {
        var paths = new TheoryData<string> { nameof(CrLfBlockScanner.ScanPath.Scalar) };
        if (CrLfBlockScanner.DefaultPath >= CrLfBlockScanner.ScanPath.Vector128)
        {
            paths.Add(nameof(CrLfBlockScanner.ScanPath.Vector128));
        }

        if (CrLfBlockScanner.DefaultPath >= CrLfBlockScanner.ScanPath.Vector256)
        {
            paths.Add(nameof(CrLfBlockScanner.ScanPath.Vector256));
        }

        return paths;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void StuffingMatchesTheReferenceOnEveryPath(string path) => OnPath(path, () =>
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            byte[] expected = DataFixtures.ReferenceStuff(input);
            Assert.Equal(expected, DataFixtures.StuffWhole(input));
            Assert.Equal(expected, DataFixtures.StuffInChunks(input, sizes));
        }, iter: 2000));

    [Theory]
    [MemberData(nameof(Paths))]
    public void StuffingInputDenseInLineBreaksMatchesTheReferenceOnEveryPath(string path) => OnPath(path, () =>
    {
        Gen.Select(DenseLineBreaks, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            byte[] expected = DataFixtures.ReferenceStuff(input);
            Assert.Equal(expected, DataFixtures.StuffWhole(input));
            Assert.Equal(expected, DataFixtures.StuffInChunks(input, sizes));
        }, iter: 2000);

        // Whole blocks of nothing but line breaks, with a CR LF across each block boundary and a dot in one block.
        foreach (byte[] input in new[]
        {
            Enumerable.Repeat((byte)'\n', 1000).ToArray(),
            Enumerable.Repeat((byte)'\r', 1000).ToArray(),
            Enumerable.Range(0, 1000).Select(i => i % 64 == 63 ? (byte)'\r' : (byte)'\n').ToArray(),
            Enumerable.Range(0, 1000).Select(i => i == 130 ? (byte)'.' : (byte)'\n').ToArray(),
        })
        {
            Assert.Equal(DataFixtures.ReferenceStuff(input), DataFixtures.StuffWhole(input));
        }
    });

    [Theory]
    [MemberData(nameof(Paths))]
    public void UnstuffingGivesBackTheNormalizedMessageOnEveryPath(string path) => OnPath(path, () =>
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            (OperationStatus status, byte[] content, long consumed, _) = DataFixtures.UnstuffInChunks(DataFixtures.ReferenceStuff(input), sizes);

            Assert.Equal(OperationStatus.Done, status);
            Assert.Equal(ExpectedContent(input), content);
            Assert.Equal(DataFixtures.ReferenceStuff(input).Length, consumed);
        }, iter: 2000));

    [Theory]
    [MemberData(nameof(Paths))]
    public void UnstuffingRandomBytesStopsAtTheFirstTerminatorOrTheFirstBareBreakOnEveryPath(string path) => OnPath(path, () =>
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            (OperationStatus status, byte[] content, long consumed, DotUnstuffer unstuffer) = DataFixtures.UnstuffInChunks(input, sizes);
            (OperationStatus expectedStatus, byte[] expectedContent, long expectedConsumed, SmtpCodecError expectedError) = ReferenceUnstuff(input);

            Assert.Equal(expectedStatus, status);
            Assert.Equal(expectedContent, content);
            Assert.Equal(expectedConsumed, status == OperationStatus.InvalidData ? unstuffer.ErrorOffset : consumed);
            Assert.Equal(expectedError, unstuffer.Error);
        }, iter: 2000));

    [Theory]
    [MemberData(nameof(Paths))]
    public void NormalizingMatchesTheReferenceOnEveryPath(string path) => OnPath(path, () =>
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            var normalizer = new BdatLineBreakNormalizer();
            var writer = new ArrayBufferWriter<byte>();
            foreach (ReadOnlyMemory<byte> chunk in DataFixtures.Split(input, sizes))
            {
                long expectedLength = normalizer.GetNormalizedLength(chunk.Span);
                Assert.Equal(expectedLength, normalizer.Normalize(chunk.Span, writer));
            }

            Assert.Equal(DataFixtures.NormalizeLineBreaks(input), writer.WrittenSpan.ToArray());
        }, iter: 2000));

    [Theory]
    [MemberData(nameof(Paths))]
    public void CountingLineBreaksMatchesAByteByByteCountOnEveryPath(string path) => OnPath(path, () =>
        Gen.OneOf(DataFixtures.AnyMessage, DenseLineBreaks).Sample(input =>
        {
            // Every offset, so that a CR ends a 64-byte block and its LF starts the next one somewhere.
            for (int start = 0; start < Math.Min(input.Length, 65); start++)
            {
                ReadOnlySpan<byte> bytes = input.AsSpan(start);
                int pairs = 0;
                for (int i = 0; i + 1 < bytes.Length; i++)
                {
                    pairs += bytes[i] == '\r' && bytes[i + 1] == '\n' ? 1 : 0;
                }

                CrLfBlockScanner.CountLineBreaks(bytes, out int carriageReturns, out int lineFeeds, out int counted);
                Assert.Equal((bytes.Count((byte)'\r'), bytes.Count((byte)'\n'), pairs), (carriageReturns, lineFeeds, counted));
            }
        }, iter: 500));

    [Theory]
    [MemberData(nameof(Paths))]
    public void RejectingLongLinesMatchesTheReferenceForAnyChunkingOnEveryPath(string path) => OnPath(path, () =>
        Gen.Select(LongLines, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            long expectedOffset = ReferenceLongLineOffset(input);
            var stuffer = new DotStuffer(rejectLongLines: true);
            var output = new List<byte>();
            OperationStatus status = OperationStatus.Done;
            List<ReadOnlyMemory<byte>> chunks = [.. DataFixtures.Split(input, sizes)];
            if (chunks.Count == 0)
            {
                chunks.Add(ReadOnlyMemory<byte>.Empty);
            }

            for (int k = 0; k < chunks.Count && status == OperationStatus.Done; k++)
            {
                bool final = k == chunks.Count - 1;
                var destination = new byte[DotStuffer.GetMaxStuffedLength(chunks[k].Length, final)];
                status = stuffer.Stuff(chunks[k].Span, destination, out _, out int written, final);
                output.AddRange(destination.AsSpan(0, written).ToArray());
            }

            if (expectedOffset < 0)
            {
                Assert.Equal(OperationStatus.Done, status);
                Assert.Equal(DataFixtures.ReferenceStuff(input), output.ToArray());
            }
            else
            {
                Assert.Equal(OperationStatus.InvalidData, status);
                Assert.Equal(SmtpCodecError.DataLineTooLong, stuffer.Error);
                Assert.Equal(expectedOffset, stuffer.ErrorOffset);
                Assert.Equal(DataFixtures.ReferenceStuff(input).AsSpan(0, output.Count).ToArray(), output.ToArray());
            }
        }, iter: 1000));

    [Theory]
    [MemberData(nameof(Paths))]
    public void UnstuffingResumesAfterDestinationTooSmallWithTinyDestinationsOnEveryPath(string path) => OnPath(path, () =>
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking, Gen.Int[1, 3]).Sample((input, sizes, room) =>
        {
            var unstuffer = new DotUnstuffer();
            var content = new List<byte>();
            var destination = new byte[room];
            OperationStatus status = OperationStatus.NeedMoreData;
            foreach (ReadOnlyMemory<byte> chunk in DataFixtures.Split(DataFixtures.ReferenceStuff(input), sizes))
            {
                ReadOnlySpan<byte> rest = chunk.Span;
                do
                {
                    status = unstuffer.Unstuff(rest, destination, out int consumed, out int written, isFinalBlock: false);
                    Assert.True(written <= room);
                    content.AddRange(destination.AsSpan(0, written).ToArray());
                    rest = rest[consumed..];
                }
                while (status == OperationStatus.DestinationTooSmall);

                if (status != OperationStatus.NeedMoreData)
                {
                    break;
                }
            }

            Assert.Equal(OperationStatus.Done, status);
            Assert.Equal(ExpectedContent(input), content.ToArray());
        }, iter: 1000));

    [Theory]
    [MemberData(nameof(Paths))]
    public void StuffingIntoTinyDestinationsMatchesTheReferenceOnEveryPath(string path) => OnPath(path, () =>
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking, Gen.Int[1, 4]).Sample((input, sizes, room) =>
        {
            var stuffer = new DotStuffer();
            var output = new List<byte>();
            var destination = new byte[room];
            List<ReadOnlyMemory<byte>> chunks = [.. DataFixtures.Split(input, sizes)];
            if (chunks.Count == 0)
            {
                chunks.Add(ReadOnlyMemory<byte>.Empty);
            }

            for (int k = 0; k < chunks.Count; k++)
            {
                ReadOnlySpan<byte> rest = chunks[k].Span;
                OperationStatus status;
                do
                {
                    status = stuffer.Stuff(rest, destination, out int consumed, out int written, isFinalBlock: k == chunks.Count - 1);
                    Assert.True(consumed > 0 || written > 0 || status == OperationStatus.Done, "no progress");
                    output.AddRange(destination.AsSpan(0, written).ToArray());
                    rest = rest[consumed..];
                }
                while (status == OperationStatus.DestinationTooSmall);

                Assert.Equal(OperationStatus.Done, status);
            }

            Assert.Equal(DataFixtures.ReferenceStuff(input), output.ToArray());
        }, iter: 1000));

    private static void OnPath(string path, Action test)
    {
        CrLfBlockScanner.ScanPath previous = CrLfBlockScanner.Path;
        CrLfBlockScanner.Path = Enum.Parse<CrLfBlockScanner.ScanPath>(path);
        try
        {
            test();
        }
        finally
        {
            CrLfBlockScanner.Path = previous;
        }
    }

    private static byte[] ExpectedContent(byte[] input)
    {
        byte[] expected = DataFixtures.NormalizeLineBreaks(input);
        return expected.Length > 0 && !expected.AsSpan().EndsWith("\r\n"u8) ? [.. expected, (byte)'\r', (byte)'\n'] : expected;
    }

    /// <summary>
    /// The receiver's view, byte by byte: a dot starting a line is dropped, CRLF "." CRLF ends the data, a
    /// lone CR or LF is an error (a CR is reported at its offset, an LF at its own). Content holds no bare CR.
    /// </summary>
    private static (OperationStatus Status, byte[] Content, long Consumed, SmtpCodecError Error) ReferenceUnstuff(byte[] input)
    {
        var content = new List<byte>();
        bool lineStart = true;
        for (int i = 0; i < input.Length; i++)
        {
            byte b = input[i];
            if (lineStart && b == '.')
            {
                if (i + 1 < input.Length && input[i + 1] == '\r' && i + 2 < input.Length && input[i + 2] == '\n')
                {
                    return (OperationStatus.Done, [.. content], i + 3, SmtpCodecError.None);
                }

                i++;
                if (i == input.Length)
                {
                    break;
                }

                b = input[i];
            }

            if (b == '\n')
            {
                return (OperationStatus.InvalidData, [.. content], i, SmtpCodecError.BareLineFeedInData);
            }

            if (b == '\r')
            {
                if (i + 1 == input.Length)
                {
                    break;
                }

                if (input[i + 1] != '\n')
                {
                    return (OperationStatus.InvalidData, [.. content], i, SmtpCodecError.BareCarriageReturnInData);
                }

                content.Add((byte)'\r');
                content.Add((byte)'\n');
                i++;
                lineStart = true;
                continue;
            }

            content.Add(b);
            lineStart = false;
        }

        return (OperationStatus.NeedMoreData, [.. content], input.Length, SmtpCodecError.None);
    }

    /// <summary>
    /// The offset of the input byte that makes a stuffed line pass 998 octets (CRLF excluded, a doubled dot
    /// counted), or -1: every CR, LF and CRLF ends a line (RFC 5321 section 4.5.3.1.6).
    /// </summary>
    private static long ReferenceLongLineOffset(byte[] input)
    {
        int length = 0;
        for (int i = 0; i < input.Length; i++)
        {
            byte b = input[i];
            if (b is (byte)'\r' or (byte)'\n')
            {
                length = 0;
                continue;
            }

            length += length == 0 && b == '.' ? 2 : 1;
            if (length > 998)
            {
                return i;
            }
        }

        return -1;
    }
}
