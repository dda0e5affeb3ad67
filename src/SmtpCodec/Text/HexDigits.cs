using System;

namespace SmtpCodec.Text;

/// <summary>Writes a byte as two ASCII hex digits, for xtext (upper case) and CRAM-MD5 (lower case).</summary>
internal static class HexDigits
{
    /// <summary>Upper-case digits: xtext's hexchar (RFC 3461 section 4).</summary>
    public static ReadOnlySpan<byte> Upper => "0123456789ABCDEF"u8;

    /// <summary>Lower-case digits: the CRAM-MD5 digest (RFC 2195 section 2).</summary>
    public static ReadOnlySpan<byte> Lower => "0123456789abcdef"u8;

    /// <summary>Writes <paramref name="value"/> as two digits of <paramref name="digits"/> into the first two bytes of <paramref name="destination"/>.</summary>
    public static void Write(byte value, ReadOnlySpan<byte> digits, Span<byte> destination)
    {
        destination[0] = digits[value >> 4];
        destination[1] = digits[value & 0xF];
    }
}
