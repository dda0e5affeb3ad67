using System.Buffers;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;

namespace SmtpCodec.Tests.Replies;

public sealed class EnhancedStatusCodeTests
{
    [Theory]
    [InlineData("2.1.0", 2, 1, 0)]
    [InlineData("5.7.30", 5, 7, 30)]
    [InlineData("4.999.999", 4, 999, 999)]
    [InlineData("5.01.001", 5, 1, 1)]
    public void WholeStringsParse(string text, int cls, int subject, int detail)
    {
        EnhancedStatusCode code = EnhancedStatusCode.Parse(text);

        Assert.Equal((cls, subject, detail), (code.Class, code.Subject, code.Detail));
        Assert.Equal(new EnhancedStatusCode(cls, subject, detail), code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("3.1.1")]
    [InlineData("5.1")]
    [InlineData("5.1.")]
    [InlineData(".1.1")]
    [InlineData("5.1000.1")]
    [InlineData("5.1.1000")]
    [InlineData("5.1.1 ")]
    [InlineData("5..1")]
    [InlineData("55.1.1")]
    [InlineData("5.1.1\u0661")]
    public void NonCodesDoNotParse(string text)
    {
        Assert.False(EnhancedStatusCode.TryParse(text, out _));
        Assert.Throws<FormatException>(() => EnhancedStatusCode.Parse(text));
    }

    [Fact]
    public void FormatsAsClassSubjectDetailInCharsAndUtf8()
    {
        var code = new EnhancedStatusCode(5, 7, 30);
        Span<char> chars = stackalloc char[16];
        Span<byte> bytes = stackalloc byte[16];

        Assert.Equal("5.7.30", code.ToString());
        Assert.True(code.TryFormat(chars, out int charsWritten, default, null));
        Assert.Equal("5.7.30", chars[..charsWritten].ToString());
        Assert.True(code.TryFormat(bytes, out int bytesWritten, default, null));
        Assert.True(bytes[..bytesWritten].SequenceEqual("5.7.30"u8));
        Assert.False(code.TryFormat(bytes[..3], out _, default, null));
    }

    [Fact]
    public void CarriesItsRegistryEntry()
    {
        EnhancedStatusCode code = EnhancedStatusCode.Parse("5.1.1");

        Assert.Equal(KnownEnhancedStatus.BadDestinationMailboxAddress, code.Known);
        Assert.Equal("Bad destination mailbox address", code.Name);
        Assert.NotNull(code.Description);
        Assert.True(code.IsPermanent);
        Assert.Null(EnhancedStatusCode.Parse("5.9.9").Name);
        Assert.Null(EnhancedStatusCode.Parse("5.9.9").Description);
    }

    [Fact]
    public void ClassesOtherThan245AreRejectedByTheConstructor()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnhancedStatusCode(3, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnhancedStatusCode(5, 1000, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnhancedStatusCode(5, 1, -1));
    }

    [Fact]
    public void AReplyCarriesTheCodeOfItsFirstLine()
    {
        var reader = new SmtpReplyReader("550-5.1.1 no\r\n550 5.2.2 full\r\n"u8, isFinalBlock: true);
        Assert.Equal(OperationStatus.Done, reader.Read(out SmtpReply reply));

        Assert.Equal(new EnhancedStatusCode(5, 1, 1), reply.EnhancedStatusCode);
        Assert.True(reply.IsPermanentNegative);
        Assert.Equal("550 5.1.1 no\n5.2.2 full", reply.ToString());
    }

    [Fact]
    public void TheOneDigitFastPathAgreesWithTheParserForEveryNearbyText()
    {
        // FromReplyText reads "c.s.d" at once; every text of that shape and its near misses must come out as the parser says.
        string[] parts = ["0", "2", "3", "4", "5", "9", "x", "10", ""];
        string[] tails = ["", " ", " Ok", "x", "0", "."];
        foreach (string c in parts)
        {
            foreach (string subject in parts)
            {
                foreach (string detail in parts)
                {
                    foreach (string tail in tails)
                    {
                        byte[] text = System.Text.Encoding.ASCII.GetBytes($"{c}.{subject}.{detail}{tail}");
                        foreach (int replyCode in new[] { 250, 354, 421, 550 })
                        {
                            EnhancedStatusCode? expected = EnhancedStatusCode.TryParse(text, out EnhancedStatusCode parsed, out int used)
                                && parsed.Class == replyCode / 100 && (used == text.Length || text[used] == (byte)' ')
                                    ? parsed
                                    : null;
                            Assert.Equal(expected, EnhancedStatusCode.FromReplyText(text, replyCode));
                        }
                    }
                }
            }
        }
    }
}
