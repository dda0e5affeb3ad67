using System;
using System.Buffers;
using System.Text;
using SmtpCodec.Protocol;

namespace SmtpCodec.Commands;

// MAIL and RCPT: which ESMTP parameters go on the line, in table order, and how long the line may grow.
public static partial class SmtpCommandWriter
{
    private const string AuthArgument = nameof(MailFromParameters.Auth);
    private const string OriginalRecipientArgument = nameof(RcptToParameters.OriginalRecipient);

    /// <summary>Writes <c>MAIL FROM:&lt;reverse-path&gt;</c> with no parameters (RFC 5321 section 4.1.1.2).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="reversePath">The sender's mailbox without angle brackets; empty for the null reverse path <c>&lt;&gt;</c>.</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteMailFrom(IBufferWriter<byte> destination, ReadOnlySpan<char> reversePath) =>
        WriteMailFrom(destination, reversePath, default);

    /// <summary>Writes <c>MAIL FROM:&lt;reverse-path&gt;</c> and its ESMTP parameters (RFC 5321 section 4.1.1.2).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="reversePath">The sender's mailbox without angle brackets; empty for the null reverse path <c>&lt;&gt;</c>.</param>
    /// <param name="parameters">The parameters; the line may grow by each extension's allowance (RFC 5321 section 4.5.3.1.4).</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteMailFrom(IBufferWriter<byte> destination, ReadOnlySpan<char> reversePath, in MailFromParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(destination);
        // The parameters on the line as a set in table order (ParameterLayout).
        uint used = 0;
        used |= parameters.Size is not null ? ParameterLayout.Bit(EsmtpParameter.Size) : 0;
        used |= parameters.Body != BodyType.None ? ParameterLayout.Bit(EsmtpParameter.Body) : 0;
        used |= parameters.SmtpUtf8 ? ParameterLayout.Bit(EsmtpParameter.SmtpUtf8) : 0;
        used |= parameters.Return != DsnReturn.None ? ParameterLayout.Bit(EsmtpParameter.Ret) : 0;
        used |= !parameters.EnvelopeId.IsEmpty ? ParameterLayout.Bit(EsmtpParameter.EnvId) : 0;
        used |= !parameters.Auth.IsEmpty ? ParameterLayout.Bit(EsmtpParameter.Auth) : 0;
        used |= parameters.RequireTls ? ParameterLayout.Bit(EsmtpParameter.RequireTls) : 0;
        used |= parameters.MtPriority is not null ? ParameterLayout.Bit(EsmtpParameter.MtPriority) : 0;
        used |= parameters.DeliverBy is not null ? ParameterLayout.Bit(EsmtpParameter.By) : 0;

        int limit = MaxCommandLineLength + ParameterLayout.GetLineAllowance(used);
        var line = new CommandLineBuilder(destination.GetSpan(limit)[..limit]);
        line.Append(SmtpCommandVerbs.GetUtf8Name(SmtpCommand.Mail));
        line.Append(" FROM:<"u8);
        if (!reversePath.IsEmpty)
        {
            AppendMailbox(ref line, reversePath, nameof(reversePath), parameters.SmtpUtf8);
        }

        line.Append((byte)'>');
        while (used != 0)
        {
            EsmtpParameter parameter = ParameterLayout.TakeFirst(ref used);
            line.Append(ParameterLayout.Prefix(parameter));
            AppendMailParameterValue(ref line, parameter, parameters);
        }

        return Commit(destination, ref line);
    }

    /// <summary>Writes <c>RCPT TO:&lt;forward-path&gt;</c> with no parameters (RFC 5321 section 4.1.1.3).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="forwardPath">The recipient's mailbox without angle brackets, or <c>Postmaster</c>.</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteRcptTo(IBufferWriter<byte> destination, ReadOnlySpan<char> forwardPath) =>
        WriteRcptTo(destination, forwardPath, default);

    /// <summary>Writes <c>RCPT TO:&lt;forward-path&gt;</c> and its ESMTP parameters (RFC 5321 section 4.1.1.3).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="forwardPath">The recipient's mailbox without angle brackets, or <c>Postmaster</c>.</param>
    /// <param name="parameters">The parameters and whether the transaction uses SMTPUTF8.</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteRcptTo(IBufferWriter<byte> destination, ReadOnlySpan<char> forwardPath, in RcptToParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(destination);
        uint used = 0;
        used |= parameters.Notify != DsnNotifyFlags.None ? ParameterLayout.Bit(EsmtpParameter.Notify) : 0;
        used |= !parameters.OriginalRecipient.IsEmpty ? ParameterLayout.Bit(EsmtpParameter.OrCpt) : 0;
        int limit = MaxCommandLineLength + ParameterLayout.GetLineAllowance(used);
        var line = new CommandLineBuilder(destination.GetSpan(limit)[..limit]);
        line.Append(SmtpCommandVerbs.GetUtf8Name(SmtpCommand.Rcpt));
        line.Append(" TO:<"u8);
        ReadOnlySpan<byte> path = line.AppendText(forwardPath, nameof(forwardPath), parameters.SmtpUtf8);
        bool pathIsMailbox = !line.Failed && MailboxSyntax.IsMailbox(path, parameters.SmtpUtf8);
        if (!line.Failed && !pathIsMailbox && !IsPostmaster(path))
        {
            line.Fail(SmtpCodecError.InvalidMailbox, nameof(forwardPath));
        }

        line.Append((byte)'>');
        if (parameters.Notify != DsnNotifyFlags.None)
        {
            line.Append(" NOTIFY="u8);
            AppendNotify(ref line, parameters.Notify);
        }

        if (!parameters.OriginalRecipient.IsEmpty)
        {
            line.Append(" ORCPT=rfc822;"u8);
            if (pathIsMailbox && !parameters.SmtpUtf8 && parameters.OriginalRecipient.SequenceEqual(forwardPath))
            {
                // ORCPT is usually the forward path itself: without SMTPUTF8 its bytes on the line already passed the
                // very checks ORCPT takes (ASCII, no controls, a mailbox), so they only need their xtext form.
                line.AppendXtext(path, OriginalRecipientArgument);
            }
            else
            {
                AppendXtextMailbox(ref line, parameters.OriginalRecipient, OriginalRecipientArgument);
            }
        }

        return Commit(destination, ref line);
    }

    /// <summary>
    /// The octets a MAIL or RCPT line may take: each extension in use adds its allowance once, the
    /// largest of its parameters' (RFC 5321 section 4.5.3.1.4).
    /// </summary>
    /// <param name="parameters">The parameters on the line.</param>
    /// <returns>The octets added to <see cref="MaxCommandLineLength"/>.</returns>
    public static int GetLineAllowance(ReadOnlySpan<EsmtpParameter> parameters)
    {
        int total = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            EhloKeyword extension = EsmtpParameterNames.GetExtension(parameters[i]);
            int allowance = EsmtpParameterNames.GetLineAllowance(parameters[i]);
            bool counted = false;
            for (int k = 0; k < parameters.Length && !counted; k++)
            {
                // Another parameter of the same extension with a larger allowance (or an equal one earlier) stands for both.
                if (k != i && EsmtpParameterNames.GetExtension(parameters[k]) == extension)
                {
                    int other = EsmtpParameterNames.GetLineAllowance(parameters[k]);
                    counted = other > allowance || (other == allowance && k < i);
                }
            }

            if (!counted)
            {
                total += allowance;
            }
        }

        return total;
    }

    private static void AppendMailParameterValue(ref CommandLineBuilder line, EsmtpParameter parameter, in MailFromParameters parameters)
    {
        switch (parameter)
        {
            case EsmtpParameter.Size:
                long size = parameters.Size.GetValueOrDefault();
                if (size < 0)
                {
                    line.Fail(SmtpCodecError.InvalidParameterValue, nameof(MailFromParameters.Size));
                }

                line.AppendNumber(size, nameof(MailFromParameters.Size));
                break;
            case EsmtpParameter.Body:
                AppendKeyword(ref line, BodyTypeNames.GetUtf8Name(parameters.Body), nameof(MailFromParameters.Body));
                break;
            case EsmtpParameter.Ret:
                AppendKeyword(ref line, DsnReturnNames.GetUtf8Name(parameters.Return), nameof(MailFromParameters.Return));
                break;
            case EsmtpParameter.EnvId:
                AppendEnvelopeId(ref line, parameters.EnvelopeId);
                break;
            case EsmtpParameter.Auth:
                if (parameters.Auth.SequenceEqual("<>"))
                {
                    // "<>" says the submitter is unknown (RFC 4954 section 5); both brackets are xchars.
                    line.Append("<>"u8);
                }
                else
                {
                    AppendXtextMailbox(ref line, parameters.Auth, AuthArgument);
                }

                break;
            case EsmtpParameter.MtPriority:
                int priority = parameters.MtPriority.GetValueOrDefault();
                if (priority is < -9 or > 9)
                {
                    // priority-value is a signed single digit (RFC 6710 section 4.1).
                    line.Fail(SmtpCodecError.InvalidParameterValue, nameof(MailFromParameters.MtPriority));
                }

                line.AppendNumber(priority, nameof(MailFromParameters.MtPriority));
                break;
            case EsmtpParameter.By:
                DeliverByRequest by = parameters.DeliverBy.GetValueOrDefault();
                if (by.Seconds is < -999_999_999 or > 999_999_999 || (by.Mode == DeliverByMode.Return && by.Seconds <= 0)
                    || by.Mode is not (DeliverByMode.Notify or DeliverByMode.Return))
                {
                    // by-time is 1 to 9 digits with an optional sign, and positive in R mode (RFC 2852 section 4).
                    line.Fail(SmtpCodecError.InvalidParameterValue, nameof(MailFromParameters.DeliverBy));
                }

                line.AppendNumber(by.Seconds, nameof(MailFromParameters.DeliverBy));
                line.Append(by.Mode == DeliverByMode.Return ? ";R"u8 : ";N"u8);
                if (by.Trace)
                {
                    line.Append((byte)'T');
                }

                break;
        }
    }

    private static bool IsPostmaster(ReadOnlySpan<byte> path) => Ascii.EqualsIgnoreCase(path, "Postmaster"u8);
}
