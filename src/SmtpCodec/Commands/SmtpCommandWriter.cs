using System;
using System.Buffers;
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
public static partial class SmtpCommandWriter
{
    // Here: the simple verbs, EHLO/HELO, BDAT and the commit; MAIL and RCPT in .Mail.cs, AUTH in .Auth.cs, parameter values in .Values.cs.

    /// <summary>The longest command line, CRLF included, before extensions add to it (RFC 5321 section 4.5.3.1.4).</summary>
    public const int MaxCommandLineLength = 512;

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
