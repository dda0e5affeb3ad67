using System;
using System.Buffers;
using SmtpCodec.Protocol;

namespace SmtpCodec.Commands;

// Parameter values: mailboxes, keywords, NOTIFY lists, and the xtext of ENVID, AUTH= and ORCPT.
public static partial class SmtpCommandWriter
{
    private const int MaxEnvelopeIdLength = 100;
    private const string EnvelopeIdArgument = nameof(MailFromParameters.EnvelopeId);

    // Longer text cannot be a mailbox (at most 254 octets, RFC 5321 section 4.5.3.1.3), and up to this length
    // the general path's 768-byte scratch never runs out, so both paths find the same error.
    private const int MaxXtextMailboxChars = 254;

    private static void AppendMailbox(ref CommandLineBuilder line, ReadOnlySpan<char> mailbox, string argumentName, bool smtpUtf8)
    {
        ReadOnlySpan<byte> encoded = line.AppendText(mailbox, argumentName, smtpUtf8);
        if (!line.Failed && !MailboxSyntax.IsMailbox(encoded, smtpUtf8))
        {
            line.Fail(SmtpCodecError.InvalidMailbox, argumentName);
        }
    }

    private static void AppendKeyword(ref CommandLineBuilder line, ReadOnlySpan<byte> keyword, string argumentName)
    {
        if (keyword.IsEmpty)
        {
            line.Fail(SmtpCodecError.InvalidParameterValue, argumentName);
        }

        line.Append(keyword, argumentName);
    }

    private static void AppendEnvelopeId(ref CommandLineBuilder line, ReadOnlySpan<char> envelopeId)
    {
        // ENVID is printable ASCII of at most 100 characters, sent as xtext (RFC 3461 section 4.4).
        if (line.Failed)
        {
            return;
        }

        Span<byte> scratch = stackalloc byte[3 * MaxEnvelopeIdLength];
        SmtpCodecError error = EncodeAscii(envelopeId, scratch, out int written);
        if (error != SmtpCodecError.None)
        {
            line.Fail(error, EnvelopeIdArgument);
            return;
        }

        ReadOnlySpan<byte> encoded = scratch[..written];
        if (encoded.Length > MaxEnvelopeIdLength)
        {
            line.Fail(SmtpCodecError.InvalidParameterValue, EnvelopeIdArgument);
            return;
        }

        line.AppendXtext(encoded, EnvelopeIdArgument);
    }

    private static void AppendXtextMailbox(ref CommandLineBuilder line, ReadOnlySpan<char> mailbox, string argumentName)
    {
        // The mailbox of AUTH= and ORCPT travels as xtext of its ASCII form (RFC 4954 section 5, RFC 3461 section 4.2).
        if (line.Failed)
        {
            return;
        }

        Span<byte> free = line.Free;
        if (mailbox.Length > MaxXtextMailboxChars || free.Length < 3 * mailbox.Length)
        {
            // Too long to be a mailbox, or the line is nearly full: the general path sorts out which error it is.
            AppendXtextMailboxThroughScratch(ref line, mailbox, argumentName);
            return;
        }

        // Encoded where it goes (it cannot run out of room), checked there, then turned into xtext in place.
        if (System.Text.Unicode.Utf8.FromUtf16(mailbox, free, out _, out int written, replaceInvalidSequences: false) != OperationStatus.Done)
        {
            line.Fail(SmtpCodecError.ArgumentNotWellFormedUtf16, argumentName);
            return;
        }

        ReadOnlySpan<byte> encoded = free[..written];
        SmtpCodecError error = CommandLineBuilder.CheckArgumentBytes(encoded, allowNonAscii: false);
        if (error != SmtpCodecError.None || !MailboxSyntax.IsMailbox(encoded, allowUtf8: false))
        {
            line.Fail(error != SmtpCodecError.None ? error : SmtpCodecError.InvalidMailbox, argumentName);
            return;
        }

        int length = Xtext.EncodeInPlace(free, written);
        if (length < 0)
        {
            line.Fail(SmtpCodecError.CommandLineTooLong, argumentName);
            return;
        }

        line.Advance(length, argumentName);
    }

    private static void AppendXtextMailboxThroughScratch(ref CommandLineBuilder line, ReadOnlySpan<char> mailbox, string argumentName)
    {
        Span<byte> scratch = stackalloc byte[3 * 256];
        SmtpCodecError error = EncodeAscii(mailbox, scratch, out int written);
        if (error != SmtpCodecError.None)
        {
            line.Fail(error, argumentName);
            return;
        }

        ReadOnlySpan<byte> encoded = scratch[..written];
        if (!MailboxSyntax.IsMailbox(encoded, allowUtf8: false))
        {
            line.Fail(SmtpCodecError.InvalidMailbox, argumentName);
            return;
        }

        line.AppendXtext(encoded, argumentName);
    }

    private static SmtpCodecError EncodeAscii(ReadOnlySpan<char> text, Span<byte> scratch, out int written)
    {
        OperationStatus status = System.Text.Unicode.Utf8.FromUtf16(text, scratch, out _, out written, replaceInvalidSequences: false);
        if (status == OperationStatus.InvalidData)
        {
            return SmtpCodecError.ArgumentNotWellFormedUtf16;
        }

        SmtpCodecError error = CommandLineBuilder.CheckArgumentBytes(scratch[..written], allowNonAscii: false);

        // Too long to be valid when the checked prefix had no control or non-ASCII byte.
        return error == SmtpCodecError.None && status == OperationStatus.DestinationTooSmall ? SmtpCodecError.InvalidParameterValue : error;
    }

    private static void AppendNotify(ref CommandLineBuilder line, DsnNotifyFlags notify)
    {
        const DsnNotifyFlags known = DsnNotifyFlags.Never | DsnNotifyFlags.Success | DsnNotifyFlags.Failure | DsnNotifyFlags.Delay;

        // NEVER stands alone; the others may be combined (RFC 3461 section 4.1).
        if ((notify & ~known) != 0 || ((notify & DsnNotifyFlags.Never) != 0 && notify != DsnNotifyFlags.Never))
        {
            line.Fail(SmtpCodecError.InvalidParameterValue, nameof(RcptToParameters.Notify));
            return;
        }

        bool first = true;
        foreach (DsnNotify value in DsnNotifyNames.All)
        {
            if ((notify & DsnNotifyNames.ToFlag(value)) != 0)
            {
                if (!first)
                {
                    line.Append((byte)',');
                }

                line.Append(DsnNotifyNames.GetUtf8Name(value));
                first = false;
            }
        }
    }
}
