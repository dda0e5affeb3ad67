using System;
using System.Buffers;
using System.Buffers.Text;
using System.Text;
using SmtpCodec.Protocol;

namespace SmtpCodec.Commands;

/// <summary>
/// Writes SMTP commands (RFC 5321 section 4.1 and the extensions) into an <see cref="IBufferWriter{T}"/>
/// with no allocation. Every argument is encoded to UTF-8 first and then checked on its bytes: CR,
/// LF, NUL, other controls and DEL are refused, non-ASCII only passes where SMTPUTF8 applies, and
/// addresses, domains and parameter values must follow their RFC syntax. A failed check returns the
/// error and the argument's name and commits nothing: the line is built in the writer's span and
/// <see cref="IBufferWriter{T}.Advance"/> is called only on success.
/// </summary>
public static class SmtpCommandWriter
{
    /// <summary>The longest command line, CRLF included, before extensions add to it (RFC 5321 section 4.5.3.1.4).</summary>
    public const int MaxCommandLineLength = 512;

    /// <summary>The longest line a client sends after a 334, CRLF included (RFC 4954 section 4).</summary>
    public const int MaxAuthResponseLineLength = 12288;

    private const int MaxEnvelopeIdLength = 100;
    private const string EnvelopeIdArgument = nameof(MailFromParameters.EnvelopeId);
    private const string AuthArgument = nameof(MailFromParameters.Auth);
    private const string OriginalRecipientArgument = nameof(RcptToParameters.OriginalRecipient);

    /// <summary>Writes <c>EHLO domain</c> (RFC 5321 section 4.1.1.1).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="domain">The client's domain, or an address literal such as <c>[192.0.2.1]</c> or <c>[IPv6:2001:db8::1]</c>.</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteEhlo(IBufferWriter<byte> destination, ReadOnlySpan<char> domain) =>
        WriteGreeting(destination, SmtpCommand.Ehlo, domain, allowAddressLiteral: true);

    /// <summary>Writes <c>HELO domain</c> (RFC 5321 section 4.1.1.1: a Domain, not an address literal).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="domain">The client's domain.</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteHelo(IBufferWriter<byte> destination, ReadOnlySpan<char> domain) =>
        WriteGreeting(destination, SmtpCommand.Helo, domain, allowAddressLiteral: false);

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
        Span<EsmtpParameter> used = stackalloc EsmtpParameter[8];
        int count = 0;
        if (parameters.Size is not null)
        {
            used[count++] = EsmtpParameter.Size;
        }

        if (parameters.Body != BodyType.None)
        {
            used[count++] = EsmtpParameter.Body;
        }

        if (parameters.SmtpUtf8)
        {
            used[count++] = EsmtpParameter.SmtpUtf8;
        }

        if (parameters.Return != DsnReturn.None)
        {
            used[count++] = EsmtpParameter.Ret;
        }

        if (!parameters.EnvelopeId.IsEmpty)
        {
            used[count++] = EsmtpParameter.EnvId;
        }

        if (!parameters.Auth.IsEmpty)
        {
            used[count++] = EsmtpParameter.Auth;
        }

        if (parameters.RequireTls)
        {
            used[count++] = EsmtpParameter.RequireTls;
        }

        if (parameters.MtPriority is not null)
        {
            used[count++] = EsmtpParameter.MtPriority;
        }

        int limit = MaxCommandLineLength + GetLineAllowance(used[..count]);
        var line = new CommandLineBuilder(destination.GetSpan(limit)[..limit]);
        line.Append(SmtpCommandVerbs.GetUtf8Name(SmtpCommand.Mail));
        line.Append(" FROM:<"u8);
        if (!reversePath.IsEmpty)
        {
            AppendMailbox(ref line, reversePath, nameof(reversePath), parameters.SmtpUtf8);
        }

        line.Append((byte)'>');
        foreach (EsmtpParameter parameter in used[..count])
        {
            line.Append((byte)' ');
            line.Append(EsmtpParameterNames.GetUtf8Name(parameter));
            if (EsmtpParameterNames.GetValueSyntax(parameter) != EsmtpValueSyntax.None)
            {
                line.Append((byte)'=');
            }

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
        Span<EsmtpParameter> used = stackalloc EsmtpParameter[2];
        int count = 0;
        if (parameters.Notify != DsnNotifyFlags.None)
        {
            used[count++] = EsmtpParameter.Notify;
        }

        if (!parameters.OriginalRecipient.IsEmpty)
        {
            used[count++] = EsmtpParameter.OrCpt;
        }

        int limit = MaxCommandLineLength + GetLineAllowance(used[..count]);
        var line = new CommandLineBuilder(destination.GetSpan(limit)[..limit]);
        line.Append(SmtpCommandVerbs.GetUtf8Name(SmtpCommand.Rcpt));
        line.Append(" TO:<"u8);
        ReadOnlySpan<byte> path = line.AppendText(forwardPath, nameof(forwardPath), parameters.SmtpUtf8);
        if (!line.Failed && !IsPostmaster(path) && !MailboxSyntax.IsMailbox(path, parameters.SmtpUtf8))
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
            AppendXtextMailbox(ref line, parameters.OriginalRecipient, OriginalRecipientArgument);
        }

        return Commit(destination, ref line);
    }

    /// <summary>Writes <c>DATA</c> (RFC 5321 section 4.1.1.4).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <returns>The bytes written.</returns>
    public static CommandWriteResult WriteData(IBufferWriter<byte> destination) => WriteBare(destination, SmtpCommand.Data);

    /// <summary>Writes <c>RSET</c> (RFC 5321 section 4.1.1.5).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <returns>The bytes written.</returns>
    public static CommandWriteResult WriteRset(IBufferWriter<byte> destination) => WriteBare(destination, SmtpCommand.Rset);

    /// <summary>Writes <c>QUIT</c> (RFC 5321 section 4.1.1.10).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <returns>The bytes written.</returns>
    public static CommandWriteResult WriteQuit(IBufferWriter<byte> destination) => WriteBare(destination, SmtpCommand.Quit);

    /// <summary>Writes <c>STARTTLS</c> (RFC 3207 section 4).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <returns>The bytes written.</returns>
    public static CommandWriteResult WriteStartTls(IBufferWriter<byte> destination) => WriteBare(destination, SmtpCommand.StartTls);

    /// <summary>Writes <c>NOOP</c> (RFC 5321 section 4.1.1.9).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <returns>The bytes written.</returns>
    public static CommandWriteResult WriteNoop(IBufferWriter<byte> destination) => WriteBare(destination, SmtpCommand.Noop);

    /// <summary>Writes <c>NOOP string</c> (RFC 5321 section 4.1.1.9; String = Atom / Quoted-string).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="text">The argument the server ignores.</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteNoop(IBufferWriter<byte> destination, ReadOnlySpan<char> text) =>
        WriteWithString(destination, SmtpCommand.Noop, text, nameof(text), smtpUtf8: false);

    /// <summary>Writes <c>HELP</c> (RFC 5321 section 4.1.1.8).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <returns>The bytes written.</returns>
    public static CommandWriteResult WriteHelp(IBufferWriter<byte> destination) => WriteBare(destination, SmtpCommand.Help);

    /// <summary>Writes <c>HELP topic</c> (RFC 5321 section 4.1.1.8; String = Atom / Quoted-string).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="topic">The topic.</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteHelp(IBufferWriter<byte> destination, ReadOnlySpan<char> topic) =>
        WriteWithString(destination, SmtpCommand.Help, topic, nameof(topic), smtpUtf8: false);

    /// <summary>Writes <c>VRFY string [SMTPUTF8]</c> (RFC 5321 section 4.1.1.6, RFC 6531 section 3.7.4).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="user">The user name or mailbox to verify (Atom or Quoted-string).</param>
    /// <param name="smtpUtf8">Whether to allow UTF-8 and add the SMTPUTF8 parameter.</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteVrfy(IBufferWriter<byte> destination, ReadOnlySpan<char> user, bool smtpUtf8 = false) =>
        WriteWithString(destination, SmtpCommand.Vrfy, user, nameof(user), smtpUtf8);

    /// <summary>Writes <c>EXPN string [SMTPUTF8]</c> (RFC 5321 section 4.1.1.7, RFC 6531 section 3.7.4).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="mailingList">The list to expand (Atom or Quoted-string).</param>
    /// <param name="smtpUtf8">Whether to allow UTF-8 and add the SMTPUTF8 parameter.</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteExpn(IBufferWriter<byte> destination, ReadOnlySpan<char> mailingList, bool smtpUtf8 = false) =>
        WriteWithString(destination, SmtpCommand.Expn, mailingList, nameof(mailingList), smtpUtf8);

    /// <summary>Writes <c>BDAT size [LAST]</c> (RFC 3030 section 2); the chunk's bytes follow it as they are.</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="chunkSize">The exact number of octets of the chunk that follows.</param>
    /// <param name="last">Whether this is the last chunk of the message.</param>
    /// <returns>The bytes written, or <see cref="SmtpCodecError.InvalidChunkSize"/> for a negative size.</returns>
    public static CommandWriteResult WriteBdat(IBufferWriter<byte> destination, long chunkSize, bool last)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var line = new CommandLineBuilder(destination.GetSpan(MaxCommandLineLength)[..MaxCommandLineLength]);
        line.Append(SmtpCommandVerbs.GetUtf8Name(SmtpCommand.Bdat));
        line.Append((byte)' ');
        if (chunkSize < 0)
        {
            line.Fail(SmtpCodecError.InvalidChunkSize, nameof(chunkSize));
        }

        line.AppendNumber(chunkSize, nameof(chunkSize));
        if (last)
        {
            line.Append(" LAST"u8);
        }

        return Commit(destination, ref line);
    }

    /// <summary>Writes <c>AUTH mechanism</c> with no initial response (RFC 4954 section 4).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="mechanism">The SASL mechanism.</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteAuth(IBufferWriter<byte> destination, SaslMechanism mechanism) =>
        WriteAuth(destination, mechanism, [], hasInitialResponse: false);

    /// <summary>
    /// Writes <c>AUTH mechanism initial-response</c> (RFC 4954 section 4): the response base64-encoded,
    /// or <c>=</c> when it is empty. When the line would pass 512 octets, only <c>AUTH mechanism</c> is
    /// written and <see cref="CommandWriteResult.InitialResponseDeferred"/> is set: send the response with
    /// <see cref="WriteAuthResponse"/> after the server's 334.
    /// </summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="mechanism">The SASL mechanism.</param>
    /// <param name="initialResponse">The raw (not yet base64) initial response.</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteAuth(IBufferWriter<byte> destination, SaslMechanism mechanism, ReadOnlySpan<byte> initialResponse) =>
        WriteAuth(destination, mechanism, initialResponse, hasInitialResponse: true);

    /// <summary>Writes a response line after a 334: the base64 of <paramref name="response"/> and CRLF, at most 12288 octets (RFC 4954 section 4).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="response">The raw (not yet base64) response; empty gives an empty line.</param>
    /// <returns>The bytes written, or <see cref="SmtpCodecError.AuthLineTooLong"/>.</returns>
    public static CommandWriteResult WriteAuthResponse(IBufferWriter<byte> destination, ReadOnlySpan<byte> response)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (Base64.GetMaxEncodedToUtf8Length(response.Length) + 2 > MaxAuthResponseLineLength)
        {
            return new CommandWriteResult(SmtpCodecError.AuthLineTooLong, nameof(response), 0, false);
        }

        var line = new CommandLineBuilder(destination.GetSpan(MaxAuthResponseLineLength)[..MaxAuthResponseLineLength]);
        line.AppendBase64(response, nameof(response), SmtpCodecError.AuthLineTooLong);
        return Commit(destination, ref line);
    }

    /// <summary>Writes <c>*</c>, which cancels the exchange after a 334 (RFC 4954 section 4).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <returns>The bytes written.</returns>
    public static CommandWriteResult WriteAuthCancel(IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var line = new CommandLineBuilder(destination.GetSpan(3)[..3]);
        line.Append((byte)'*');
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

    private static CommandWriteResult WriteAuth(IBufferWriter<byte> destination, SaslMechanism mechanism, ReadOnlySpan<byte> initialResponse, bool hasInitialResponse)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ReadOnlySpan<byte> name = SaslMechanismNames.GetUtf8Name(mechanism);
        var line = new CommandLineBuilder(destination.GetSpan(MaxCommandLineLength)[..MaxCommandLineLength]);
        if (name.IsEmpty)
        {
            line.Fail(SmtpCodecError.InvalidParameterValue, nameof(mechanism));
        }

        line.Append(SmtpCommandVerbs.GetUtf8Name(SmtpCommand.Auth));
        line.Append((byte)' ');
        line.Append(name);
        bool deferred = false;
        if (hasInitialResponse)
        {
            int needed = line.Length + 1 + (initialResponse.IsEmpty ? 1 : Base64.GetMaxEncodedToUtf8Length(initialResponse.Length)) + 2;
            if (needed > MaxCommandLineLength)
            {
                // The AUTH line stays within 512 octets: the response goes after the 334 (RFC 4954 section 4).
                deferred = true;
            }
            else if (initialResponse.IsEmpty)
            {
                // A zero-length initial response is sent as a single "=" (RFC 4954 section 4).
                line.Append(" ="u8);
            }
            else
            {
                line.Append((byte)' ');
                line.AppendBase64(initialResponse, nameof(initialResponse), SmtpCodecError.CommandLineTooLong);
            }
        }

        CommandWriteResult result = Commit(destination, ref line);
        return deferred && result.Succeeded ? new CommandWriteResult(SmtpCodecError.None, null, result.BytesWritten, initialResponseDeferred: true) : result;
    }

    private static CommandWriteResult WriteGreeting(IBufferWriter<byte> destination, SmtpCommand command, ReadOnlySpan<char> domain, bool allowAddressLiteral)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var line = new CommandLineBuilder(destination.GetSpan(MaxCommandLineLength)[..MaxCommandLineLength]);
        line.Append(SmtpCommandVerbs.GetUtf8Name(command));
        line.Append((byte)' ');
        ReadOnlySpan<byte> encoded = line.AppendText(domain, nameof(domain), allowNonAscii: false);
        bool valid = allowAddressLiteral ? DomainSyntax.IsDomainOrAddressLiteral(encoded, allowUtf8: false) : DomainSyntax.IsDomain(encoded, allowUtf8: false);
        if (!line.Failed && !valid)
        {
            line.Fail(SmtpCodecError.InvalidDomain, nameof(domain));
        }

        return Commit(destination, ref line);
    }

    private static CommandWriteResult WriteBare(IBufferWriter<byte> destination, SmtpCommand command)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var line = new CommandLineBuilder(destination.GetSpan(16)[..16]);
        line.Append(SmtpCommandVerbs.GetUtf8Name(command));
        return Commit(destination, ref line);
    }

    private static CommandWriteResult WriteWithString(IBufferWriter<byte> destination, SmtpCommand command, ReadOnlySpan<char> text, string argumentName, bool smtpUtf8)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var line = new CommandLineBuilder(destination.GetSpan(MaxCommandLineLength)[..MaxCommandLineLength]);
        line.Append(SmtpCommandVerbs.GetUtf8Name(command));
        line.Append((byte)' ');
        ReadOnlySpan<byte> encoded = line.AppendText(text, argumentName, smtpUtf8);
        if (!line.Failed && !MailboxSyntax.IsString(encoded, smtpUtf8))
        {
            line.Fail(SmtpCodecError.InvalidParameterValue, argumentName);
        }

        if (smtpUtf8)
        {
            line.Append(" SMTPUTF8"u8);
        }

        return Commit(destination, ref line);
    }

    private static void AppendMailbox(ref CommandLineBuilder line, ReadOnlySpan<char> mailbox, string argumentName, bool smtpUtf8)
    {
        ReadOnlySpan<byte> encoded = line.AppendText(mailbox, argumentName, smtpUtf8);
        if (!line.Failed && !MailboxSyntax.IsMailbox(encoded, smtpUtf8))
        {
            line.Fail(SmtpCodecError.InvalidMailbox, argumentName);
        }
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

    private static bool IsPostmaster(ReadOnlySpan<byte> path) => Ascii.EqualsIgnoreCase(path, "Postmaster"u8);

    private static CommandWriteResult Commit(IBufferWriter<byte> destination, ref CommandLineBuilder line)
    {
        line.AppendCrLf();
        if (line.Failed)
        {
            return new CommandWriteResult(line.Error, line.ArgumentName, 0, false);
        }

        int length = line.Length;
        destination.Advance(length);
        return new CommandWriteResult(SmtpCodecError.None, null, length, false);
    }
}
