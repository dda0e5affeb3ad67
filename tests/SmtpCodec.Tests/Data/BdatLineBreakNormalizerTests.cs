using System.Buffers;
using System.Text;
using CsCheck;
using SmtpCodec.Data;

namespace SmtpCodec.Tests.Data;

public sealed class BdatLineBreakNormalizerTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData(".\n.\r.", ".\r\n.\r\n.")]
    [InlineData("a\r\r\nb\n", "a\r\n\r\nb\r\n")]
    [InlineData("\r\n.\r\n", "\r\n.\r\n")]
    public void LineBreaksBecomeCrLfAndDotsAreNotStuffed(string input, string expected)
    {
        var normalizer = new BdatLineBreakNormalizer();
        var writer = new ArrayBufferWriter<byte>();

        int written = normalizer.Normalize(Encoding.Latin1.GetBytes(input), writer);

        Assert.Equal(expected, Encoding.Latin1.GetString(writer.WrittenSpan));
        Assert.Equal(expected.Length, written);
    }

    [Fact]
    public void NormalizingAnyChunkingEqualsTheByteWiseReference()
    {
        Gen.Select(DataFixtures.AnyMessage, DataFixtures.Chunking).Sample((input, sizes) =>
        {
            var normalizer = new BdatLineBreakNormalizer();
            var output = new List<byte>();
            foreach (ReadOnlyMemory<byte> chunk in DataFixtures.Split(input, sizes))
            {
                var destination = new byte[BdatLineBreakNormalizer.GetMaxNormalizedLength(chunk.Length)];
                long predicted = normalizer.GetNormalizedLength(chunk.Span);
                Assert.Equal(OperationStatus.Done, normalizer.Normalize(chunk.Span, destination, out int consumed, out int written));
                Assert.Equal(chunk.Length, consumed);
                Assert.Equal(predicted, written);
                output.AddRange(destination.AsSpan(0, written).ToArray());
            }

            byte[] expected = DataFixtures.NormalizeLineBreaks(input);
            Assert.Equal(expected, output.ToArray());
            Assert.Equal(expected.Length == 0 || expected.AsSpan().EndsWith("\r\n"u8), normalizer.EndsWithLineBreak);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(expected[i] != '\r' || (i + 1 < expected.Length && expected[i + 1] == '\n'));
                Assert.True(expected[i] != '\n' || (i > 0 && expected[i - 1] == '\r'));
            }
        }, iter: 3000);
    }
}
