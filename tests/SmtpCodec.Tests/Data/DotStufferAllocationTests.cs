using System.Buffers;
using SmtpCodec.Data;

namespace SmtpCodec.Tests.Data;

public sealed class DotStufferAllocationTests
{
    private static readonly byte[] Message = [.. Enumerable.Repeat("Subject: x\r\n.dot line\nlone LF\r lone CR 0123456789012345678901234567890123456789\r\n"u8.ToArray(), 200).SelectMany(l => l)];

    [Fact]
    public void StuffingIntoAPreSizedBufferWriterAllocatesNothing()
    {
        var writer = new ArrayBufferWriter<byte>(4 * Message.Length + 64);
        var stuffer = new DotStuffer();
        StuffInto(ref stuffer, writer);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 200; k++)
        {
            StuffInto(ref stuffer, writer);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.EndsWith("\r\n.\r\n", System.Text.Encoding.Latin1.GetString(writer.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void StuffingIntoASpanAllocatesNothing()
    {
        var destination = new byte[DotStuffer.GetMaxStuffedLength(Message.Length, isFinalBlock: true)];
        var stuffer = new DotStuffer(rejectLongLines: true);
        int written = StuffInto(ref stuffer, destination);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 200; k++)
        {
            written = StuffInto(ref stuffer, destination);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(written > Message.Length);
    }

    private static void StuffInto(ref DotStuffer stuffer, ArrayBufferWriter<byte> writer)
    {
        stuffer.Reset();
        writer.ResetWrittenCount();
        stuffer.Stuff(Message.AsSpan(0, 1000), writer, isFinalBlock: false);
        stuffer.Stuff(Message.AsSpan(1000), writer, isFinalBlock: true);
    }

    private static int StuffInto(ref DotStuffer stuffer, byte[] destination)
    {
        stuffer.Reset();
        stuffer.Stuff(Message.AsSpan(0, 77), destination, out _, out int first, isFinalBlock: false);
        stuffer.Stuff(Message.AsSpan(77), destination.AsSpan(first), out _, out int second, isFinalBlock: true);
        return first + second;
    }
}
