using System.Buffers.Text;
using System.Text;

namespace SmtpCodec.Sink;

/// <summary>The mail transaction: MAIL (with its SIZE), RCPT and the reset that ends it.</summary>
internal sealed partial class SinkSession
{
    private void Mail(ReadOnlySpan<byte> argument)
    {
        if (!_greeted)
        {
            Write("503 5.5.1 Send EHLO or HELO first\r\n"u8);
            return;
        }

        if (_options.RequireAuthentication && !_authenticated)
        {
            Write("530 5.7.0 Authentication required\r\n"u8);
            return;
        }

        if (_inTransaction)
        {
            Write("503 5.5.1 Nested MAIL command\r\n"u8);
            return;
        }

        if (!StartsWithIgnoreCase(argument, "FROM:"u8))
        {
            Write("501 5.5.4 Syntax: MAIL FROM:<address>\r\n"u8);
            return;
        }

        // RFC 1870 section 6: a declared size over the limit is refused before any data; a size is a decimal number.
        int size = IndexOfIgnoreCase(argument, " SIZE="u8);
        if (size >= 0)
        {
            ReadOnlySpan<byte> digits = argument[(size + 6)..];
            int end = digits.IndexOf((byte)' ');
            digits = end < 0 ? digits : digits[..end];
            if (digits.IsEmpty || digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
            {
                Write("501 5.5.4 Syntax: SIZE=<decimal number of octets>\r\n"u8);
                return;
            }

            // Digits only: a number too long for a long is over any limit too.
            if (!Utf8Parser.TryParse(digits, out long declared, out _) || declared > _options.MaxMessageSize)
            {
                Write("552 5.3.4 Message size exceeds fixed maximum message size\r\n"u8);
                return;
            }
        }

        _inTransaction = true;
        _recipients = 0;
        _messageFile?.RecordMail(argument);
        Write("250 2.1.0 Ok\r\n"u8);
    }

    private void Rcpt(ReadOnlySpan<byte> argument)
    {
        if (!_inTransaction)
        {
            Write("503 5.5.1 Need MAIL before RCPT\r\n"u8);
        }
        else if (!StartsWithIgnoreCase(argument, "TO:"u8))
        {
            Write("501 5.5.4 Syntax: RCPT TO:<address>\r\n"u8);
        }
        else if (_recipients >= _options.MaxRecipients)
        {
            // RFC 5321 section 4.5.3.1.10: too many recipients is a temporary condition.
            Write("452 4.5.3 Too many recipients\r\n"u8);
        }
        else
        {
            _recipients++;
            _messageFile?.RecordRecipient(argument);
            Write("250 2.1.5 Ok\r\n"u8);
        }
    }

    /// <summary>Ends the transaction, dropping a message in progress.</summary>
    private void Reset()
    {
        _inTransaction = false;
        _recipients = 0;
        _contentLength = 0;
        _chunksRefused = false;
        _messageFile?.Discard();
    }

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> prefix) =>
        text.Length >= prefix.Length && Ascii.EqualsIgnoreCase(text[..prefix.Length], prefix);

    private static int IndexOfIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> value)
    {
        for (int i = 0; i + value.Length <= text.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(text.Slice(i, value.Length), value))
            {
                return i;
            }
        }

        return -1;
    }
}
