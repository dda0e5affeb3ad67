using System;
using System.Buffers;
using System.Buffers.Text;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sasl;

/// <summary>
/// Base64 as SASL exchanges carry it (RFC 4648 section 3.3, RFC 4954 section 4): unlike
/// <see cref="Base64.DecodeFromUtf8(ReadOnlySpan{byte}, Span{byte}, out int, out int, bool)"/>, any whitespace is refused.
/// Shared by the SASL clients and the sink's server side.
/// </summary>
internal static class StrictBase64
{
    /// <summary>The whitespace the BCL decoder would skip.</summary>
    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n\v\f"u8);

    /// <summary>Decodes the whole of <paramref name="base64Text"/>.</summary>
    /// <returns>None, InvalidBase64 or DestinationTooSmall.</returns>
    public static SmtpCodecError Decode(ReadOnlySpan<byte> base64Text, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (base64Text.IndexOfAny(Whitespace) >= 0)
        {
            return SmtpCodecError.InvalidBase64;
        }

        OperationStatus status = Base64.DecodeFromUtf8(base64Text, destination, out int consumed, out bytesWritten);
        return status switch
        {
            OperationStatus.Done when consumed == base64Text.Length => SmtpCodecError.None,
            OperationStatus.DestinationTooSmall => SmtpCodecError.DestinationTooSmall,
            _ => SmtpCodecError.InvalidBase64,
        };
    }
}
