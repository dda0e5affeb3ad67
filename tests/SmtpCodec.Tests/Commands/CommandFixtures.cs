using System.Buffers;
using System.Text;
using SmtpCodec.Commands;

namespace SmtpCodec.Tests.Commands;

/// <summary>Runs a writer call into a fresh buffer writer and returns the line as text.</summary>
internal static class CommandFixtures
{
    public static string Write(Func<IBufferWriter<byte>, CommandWriteResult> write)
    {
        var writer = new ArrayBufferWriter<byte>();
        CommandWriteResult result = write(writer);
        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(writer.WrittenCount, result.BytesWritten);
        return Encoding.UTF8.GetString(writer.WrittenSpan);
    }

    public static (CommandWriteResult Result, int WrittenCount) Fail(Func<IBufferWriter<byte>, CommandWriteResult> write)
    {
        var writer = new ArrayBufferWriter<byte>();
        CommandWriteResult result = write(writer);
        Assert.False(result.Succeeded, "the command was written");
        return (result, writer.WrittenCount);
    }
}
