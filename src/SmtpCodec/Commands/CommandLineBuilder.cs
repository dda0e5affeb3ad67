using System;
using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Unicode;
using SmtpCodec.Protocol;

namespace SmtpCodec.Commands;

/// <summary>
/// Assembles one command line in a span the buffer writer handed out, checking each argument on its
/// UTF-8 bytes; the writer commits the span only when nothing failed.
/// </summary>
internal ref struct CommandLineBuilder
{
    private readonly Span<byte> _buffer;
    private int _length;

    // The argument last appended: a literal that overflows after it is blamed on it.
    private string? _lastArgument;

    public CommandLineBuilder(Span<byte> buffer)
    {
        _buffer = buffer;
    }

    public readonly int Length => _length;

    public SmtpCodecError Error { readonly get; private set; }

    public string? ArgumentName { readonly get; private set; }

    public readonly bool Failed => Error != SmtpCodecError.None;

    public void Fail(SmtpCodecError error, string? argumentName)
    {
        if (!Failed)
        {
            Error = error;
            ArgumentName = argumentName;
        }
    }

    public void Append(scoped ReadOnlySpan<byte> bytes, string? argumentName = null)
    {
        if (Failed)
        {
            return;
        }

        if (!bytes.TryCopyTo(_buffer[_length..]))
        {
            Fail(SmtpCodecError.CommandLineTooLong, argumentName ?? _lastArgument);
            return;
        }

        _length += bytes.Length;
    }

    public void Append(byte value)
    {
        if (Failed)
        {
            return;
        }

        if (_length == _buffer.Length)
        {
            Fail(SmtpCodecError.CommandLineTooLong, _lastArgument);
            return;
        }

        _buffer[_length++] = value;
    }

    public void AppendNumber(long value, string argumentName)
    {
        if (Failed)
        {
            return;
        }

        if (!Utf8Formatter.TryFormat(value, _buffer[_length..], out int written))
        {
            Fail(SmtpCodecError.CommandLineTooLong, argumentName);
            return;
        }

        _length += written;
        _lastArgument = argumentName;
    }

    /// <summary>Encodes text as UTF-8 into the line, then checks the bytes; returns what was appended (empty on failure).</summary>
    public ReadOnlySpan<byte> AppendText(ReadOnlySpan<char> text, string argumentName, bool allowNonAscii)
    {
        if (Failed)
        {
            return [];
        }

        Span<byte> target = _buffer[_length..];
        OperationStatus status = Utf8.FromUtf16(text, target, out _, out int written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            Fail(status == OperationStatus.InvalidData ? SmtpCodecError.ArgumentNotWellFormedUtf16 : SmtpCodecError.CommandLineTooLong, argumentName);
            return [];
        }

        ReadOnlySpan<byte> encoded = target[..written];
        SmtpCodecError error = CheckArgumentBytes(encoded, allowNonAscii);
        if (error != SmtpCodecError.None)
        {
            Fail(error, argumentName);
            return [];
        }

        _length += written;
        _lastArgument = argumentName;
        return encoded;
    }

    /// <summary>
    /// Rejects CR, LF, NUL, every other C0 control (HT included) and DEL, then non-ASCII unless allowed.
    /// Runs on the encoded bytes, so no character can narrow into a line break (RFC 5321 section 4.1.1).
    /// </summary>
    public static SmtpCodecError CheckArgumentBytes(ReadOnlySpan<byte> encoded, bool allowNonAscii)
    {
        // The usual argument is printable ASCII: one vectorized pass says so.
        if (encoded.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0)
        {
            return SmtpCodecError.None;
        }

        if (encoded.IndexOfAnyInRange((byte)0x00, (byte)0x1F) >= 0 || encoded.IndexOf((byte)0x7F) >= 0)
        {
            return SmtpCodecError.ArgumentHasControlCharacter;
        }

        return allowNonAscii || Ascii.IsValid(encoded) ? SmtpCodecError.None : SmtpCodecError.ArgumentNotAscii;
    }

    public void AppendXtext(scoped ReadOnlySpan<byte> source, string argumentName)
    {
        if (Failed)
        {
            return;
        }

        int written = Xtext.Encode(source, _buffer[_length..]);
        if (written < 0)
        {
            Fail(SmtpCodecError.CommandLineTooLong, argumentName);
            return;
        }

        _length += written;
        _lastArgument = argumentName;
    }

    /// <summary>The rest of the line's span, for an argument encoded in place and then taken with <see cref="Advance"/>.</summary>
    public readonly Span<byte> Free => _buffer[_length..];

    /// <summary>Takes <paramref name="written"/> bytes written into <see cref="Free"/> as the argument's.</summary>
    public void Advance(int written, string argumentName)
    {
        _length += written;
        _lastArgument = argumentName;
    }

    public void AppendBase64(scoped ReadOnlySpan<byte> source, string argumentName, SmtpCodecError tooLong)
    {
        if (Failed)
        {
            return;
        }

        if (Base64.EncodeToUtf8(source, _buffer[_length..], out _, out int written) != OperationStatus.Done)
        {
            Fail(tooLong, argumentName);
            return;
        }

        _length += written;
    }

    public void AppendCrLf() => Append("\r\n"u8);
}
