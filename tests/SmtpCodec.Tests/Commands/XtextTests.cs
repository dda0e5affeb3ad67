using System.Text;
using SmtpCodec.Commands;

namespace SmtpCodec.Tests.Commands;

public sealed class XtextTests
{
    [Theory]
    [InlineData("+", "+2B")]
    [InlineData("=", "+3D")]
    [InlineData(" ", "+20")]
    [InlineData("a+b=c d", "a+2Bb+3Dc+20d")]
    [InlineData("<>", "<>")]
    [InlineData("!~", "!~")]
    [InlineData("\u007f", "+7F")]
    [InlineData("\u0000", "+00")]
    [InlineData("", "")]
    public void XtextEncodesPlusEqualsAndNonGraphicBytesAsHex(string input, string expected)
    {
        byte[] source = Encoding.Latin1.GetBytes(input);
        var destination = new byte[Xtext.GetEncodedLength(source)];

        int written = Xtext.Encode(source, destination);

        Assert.Equal(expected, Encoding.ASCII.GetString(destination, 0, written));
        Assert.Equal(destination.Length, written);
    }

    [Fact]
    public void HighBytesAreEncodedWithUpperCaseHex()
    {
        var destination = new byte[6];

        Assert.Equal(6, Xtext.Encode([0xC3, 0xA9], destination));
        Assert.Equal("+C3+A9", Encoding.ASCII.GetString(destination));
    }

    [Fact]
    public void ATooSmallDestinationIsReported()
    {
        Assert.Equal(-1, Xtext.Encode("a+"u8, new byte[3]));
    }
}
