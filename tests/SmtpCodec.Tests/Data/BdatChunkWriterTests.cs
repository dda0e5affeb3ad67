using System.Buffers;
using System.Text;
using CsCheck;
using SmtpCodec.Commands;
using SmtpCodec.Data;

namespace SmtpCodec.Tests.Data;

public sealed class BdatChunkWriterTests
{
    [Fact]
    public void EachChunkIsItsBdatCommandAndExactlyThatManyNormalizedOctets()
    {
        var chunks = new BdatChunkWriter(normalizeLineBreaks: true);
        var writer = new ArrayBufferWriter<byte>();

        chunks.WriteChunk("Subject: x\n\n.body\r"u8, writer, last: false);
        CommandWriteResult result = chunks.WriteChunk("\nend"u8, writer, last: true);

        Assert.Equal("BDAT 21\r\nSubject: x\r\n\r\n.body\r\nBDAT 3 LAST\r\nend", Encoding.ASCII.GetString(writer.WrittenSpan));
        Assert.Equal(16, result.BytesWritten);
    }

    [Fact]
    public void RawChunksPassUnchanged()
    {
        var chunks = new BdatChunkWriter(normalizeLineBreaks: false);
        var writer = new ArrayBufferWriter<byte>();

        chunks.WriteChunk([0, (byte)'\n', 0xFF, (byte)'\r'], writer, last: false);
        chunks.WriteChunk([], writer, last: true);

        Assert.Equal([.. "BDAT 4\r\n"u8.ToArray(), 0, (byte)'\n', 0xFF, (byte)'\r', .. "BDAT 0 LAST\r\n"u8.ToArray()], writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void EveryDeclaredChunkSizeMatchesTheBytesThatFollowForAnyChunking()
    {
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            var chunks = new BdatChunkWriter(normalizeLineBreaks: true);
            var writer = new ArrayBufferWriter<byte>();
            List<ReadOnlyMemory<byte>> parts = [.. DataFixtures.Split(input, sizes)];
            for (int k = 0; k < parts.Count; k++)
            {
                chunks.WriteChunk(parts[k].Span, writer, last: k == parts.Count - 1);
            }

            // Read the chunks back by their declared sizes: the bodies joined must be the normalized input.
            var body = new List<byte>();
            ReadOnlySpan<byte> rest = writer.WrittenSpan;
            while (!rest.IsEmpty)
            {
                int end = rest.IndexOf("\r\n"u8);
                string[] header = Encoding.ASCII.GetString(rest[..end]).Split(' ');
                Assert.Equal("BDAT", header[0]);
                int size = int.Parse(header[1], System.Globalization.CultureInfo.InvariantCulture);
                body.AddRange(rest.Slice(end + 2, size).ToArray());
                rest = rest[(end + 2 + size)..];
            }

            Assert.Equal(DataFixtures.NormalizeLineBreaks(input), body.ToArray());
        }, iter: 1000);
    }

    [Fact]
    public void WritingChunksIntoAPreSizedBufferWriterAllocatesNothing()
    {
        byte[] body = [.. Enumerable.Repeat("line one\nline two\r\n"u8.ToArray(), 500).SelectMany(l => l)];
        var writer = new ArrayBufferWriter<byte>(4 * body.Length);
        var chunks = new BdatChunkWriter(normalizeLineBreaks: true);
        chunks.WriteChunk(body, writer, last: true);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 200; k++)
        {
            writer.ResetWrittenCount();
            chunks.Reset();
            chunks.WriteChunk(body.AsSpan(0, 1000), writer, last: false);
            chunks.WriteChunk(body.AsSpan(1000), writer, last: true);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.StartsWith("BDAT 1", Encoding.ASCII.GetString(writer.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void AChunkThatChangesWhileItIsWrittenIsRefusedInsteadOfSmuggled()
    {
        // The size is declared from the bytes before the header is written; the writer then turns them into
        // lone LFs, so the normalized body grows past the declared size.
        byte[] chunk = "abcdefgh"u8.ToArray();
        var writer = new MutatingWriter(() => chunk.AsSpan().Fill((byte)'\n'));
        var chunks = new BdatChunkWriter(normalizeLineBreaks: true);

        try
        {
            chunks.WriteChunk(chunk, writer, last: true);
            Assert.Fail($"the chunk was written with a wrong size: {Encoding.ASCII.GetString(writer.Inner.WrittenSpan)}");
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>A buffer writer that runs an action on its first Advance (after the BDAT header).</summary>
    private sealed class MutatingWriter(Action onFirstAdvance) : IBufferWriter<byte>
    {
        private Action? _onFirstAdvance = onFirstAdvance;

        public ArrayBufferWriter<byte> Inner { get; } = new();

        public void Advance(int count)
        {
            Inner.Advance(count);
            Action? action = _onFirstAdvance;
            _onFirstAdvance = null;
            action?.Invoke();
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => Inner.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Inner.GetSpan(sizeHint);
    }
}
