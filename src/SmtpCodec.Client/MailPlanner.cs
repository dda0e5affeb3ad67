using System.Globalization;
using SmtpCodec.Capabilities;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;

namespace SmtpCodec.Client;

/// <summary>The parameters decided for one transaction; <paramref name="Recipients"/> null means the envelope's, in order.</summary>
/// <param name="From">The reverse path as it goes on the wire (A-labels when needed).</param>
/// <param name="Recipients">The forward paths of this transaction, or null for the envelope's own list.</param>
/// <param name="Size">SIZE= to declare, or null.</param>
/// <param name="Body">BODY= to declare.</param>
/// <param name="SmtpUtf8">Whether MAIL carries SMTPUTF8.</param>
/// <param name="Envelope">The envelope the rest of the parameters come from.</param>
internal readonly record struct MailPlan(string From, string[]? Recipients, long? Size, BodyType Body, bool SmtpUtf8, SmtpEnvelope Envelope)
{
    public int RecipientCount => Recipients?.Length ?? Envelope.Recipients.Count;

    public string RecipientAt(int index) => Recipients is null ? Envelope.Recipients[index] : Recipients[index];

    /// <summary>MAIL's parameters: every envelope field with a MAIL parameter is mapped here, and only here.</summary>
    public MailFromParameters Parameters() => new()
    {
        Size = Size,
        Body = Body,
        SmtpUtf8 = SmtpUtf8,
        Return = Envelope.Return,
        EnvelopeId = Envelope.EnvelopeId,
        RequireTls = Envelope.RequireTls,
        MtPriority = Envelope.Priority,
        DeliverBy = Envelope.DeliverBy,
    };

    /// <summary>RCPT's parameters, the same for every recipient.</summary>
    public RcptToParameters RecipientParameters() => new() { SmtpUtf8 = SmtpUtf8, Notify = Envelope.Notify };
}

/// <summary>
/// The mail plan, a pure policy: from an envelope, what the server offers and the content's facts, the
/// parameters of MAIL and RCPT, the extensions the message needs (a clear error when one is missing), and
/// how many recipients one transaction may carry (LIMITS RCPTMAX, RFC 9422 section 4.2).
/// </summary>
internal static class MailPlanner
{
    /// <summary>How many recipients one transaction may carry.</summary>
    /// <param name="offered">The server's EHLO capabilities.</param>
    /// <returns>RCPTMAX when the server sets one, else no limit.</returns>
    public static int RecipientBatchLimit(EhloCapabilities offered) =>
        offered.RcptMax is > 0 and var max ? (int)Math.Min(max, int.MaxValue) : int.MaxValue;

    /// <summary>Decides the parameters of MAIL and RCPT and checks that the server offers what the message needs.</summary>
    /// <param name="envelope">The message's envelope.</param>
    /// <param name="offered">The server's EHLO capabilities.</param>
    /// <param name="encrypted">Whether the session runs over TLS (REQUIRETLS needs it).</param>
    /// <param name="batch">The recipients of this transaction (indexes into the envelope's), or null for all of them in order.</param>
    /// <param name="size">The content's size, or -1 when unknown.</param>
    /// <param name="eightBit">Whether the content has bytes above 0x7F.</param>
    /// <param name="utf8Headers">Whether its header section has bytes above 0x7F (UTF-8 headers, RFC 6532).</param>
    /// <returns>The plan.</returns>
    /// <exception cref="SmtpException">The message needs what the server does not offer (permanent: phase MAIL or RCPT).</exception>
    public static MailPlan Plan(SmtpEnvelope envelope, EhloCapabilities offered, bool encrypted, int[]? batch, long size, bool eightBit, bool utf8Headers = false)
    {
        bool utf8Offered = offered.Supports(EhloKeyword.SmtpUtf8);
        if (envelope.SmtpUtf8 && !utf8Offered)
        {
            throw Needs("A message with UTF-8 headers (SmtpEnvelope.SmtpUtf8)", "SMTPUTF8");
        }

        // UTF-8 headers found by the scan declare SMTPUTF8 where it is offered; elsewhere the message goes as
        // 8BITMIME, as servers without SMTPUTF8 take it (RFC 6532 section 3.2 leaves such a server to cope).
        bool needsUtf8 = envelope.SmtpUtf8 || (utf8Headers && utf8Offered);
        string from = PrepareAddress(envelope.From, utf8Offered, SmtpPhase.Mail, ref needsUtf8);

        // The envelope's own list serves as is (no array per message) unless a batch or an A-label rewrite needs another.
        int count = batch?.Length ?? envelope.Recipients.Count;
        string[]? recipients = batch is null ? null : new string[count];
        for (int i = 0; i < count; i++)
        {
            string original = envelope.Recipients[batch is null ? i : batch[i]];
            string prepared = PrepareAddress(original, utf8Offered, SmtpPhase.Rcpt, ref needsUtf8);
            if (recipients is null && !ReferenceEquals(prepared, original))
            {
                recipients = new string[count];
                for (int j = 0; j < i; j++)
                {
                    recipients[j] = envelope.Recipients[j];
                }
            }

            if (recipients is not null)
            {
                recipients[i] = prepared;
            }
        }

        BodyType body = envelope.Body;
        if (body == BodyType.None && eightBit)
        {
            body = BodyType.EightBitMime;
        }

        if (body is BodyType.SevenBit && eightBit)
        {
            throw new SmtpException(SmtpPhase.Mail, "BODY=7BIT was declared and the message has 8-bit bytes: declare EightBitMime, or leave Body to be chosen.", isTransient: false);
        }

        if (body is BodyType.EightBitMime && !offered.Supports(EhloKeyword.EightBitMime))
        {
            throw Needs("8-bit content", "8BITMIME");
        }

        if (body is BodyType.BinaryMime && !offered.SupportsAll(EhloExtensions.BinaryMime | EhloExtensions.Chunking))
        {
            throw Needs("BODY=BINARYMIME", "BINARYMIME and CHUNKING (RFC 3030 section 3)");
        }

        bool dsn = envelope.Return != DsnReturn.None || envelope.EnvelopeId is not null || envelope.Notify != DsnNotifyFlags.None;
        if (dsn && !offered.Supports(EhloKeyword.Dsn))
        {
            throw Needs("Delivery status notification parameters", "DSN");
        }

        if (envelope.RequireTls && (!offered.Supports(EhloKeyword.RequireTls) || !encrypted))
        {
            throw Needs("REQUIRETLS", "REQUIRETLS over TLS");
        }

        if (envelope.Priority is not null && !offered.Supports(EhloKeyword.MtPriority))
        {
            throw Needs("MT-PRIORITY", "MT-PRIORITY");
        }

        if (envelope.DeliverBy is { } by)
        {
            if (!offered.Supports(EhloKeyword.DeliverBy))
            {
                throw Needs("BY= (deliver by)", "DELIVERBY");
            }

            // RFC 2852 section 4: a server refuses R-mode times under its minimum; say so before anything is sent.
            if (by.Mode == DeliverByMode.Return && offered.DeliverByMinimum is > 0 and var minimum && by.Seconds < (long)minimum)
            {
                throw new SmtpException(SmtpPhase.Mail, $"BY={by.Seconds.ToString(CultureInfo.InvariantCulture)};R asks for less time than the server's DELIVERBY minimum of {minimum.ToString(CultureInfo.InvariantCulture)} seconds.", isTransient: false);
            }
        }

        long? declaredSize = null;
        if (size >= 0 && offered.Supports(EhloKeyword.Size))
        {
            declaredSize = size;
            if (offered.SizeLimit is > 0 and var limit && (ulong)size > limit)
            {
                throw new SmtpException(SmtpPhase.Mail, $"The message has {size.ToString(CultureInfo.InvariantCulture)} bytes; the server's SIZE limit is {limit.ToString(CultureInfo.InvariantCulture)}.", isTransient: false);
            }
        }

        return new MailPlan(from, recipients, declaredSize, body, needsUtf8, envelope);
    }

    private static SmtpException Needs(string what, string extension) =>
        new(SmtpPhase.Mail, $"{what} needs the server to offer {extension}, and it does not.", isTransient: false);

    /// <summary>ASCII addresses pass; UTF-8 ones need SMTPUTF8, or else a domain becomes A-labels (IDNA) and a UTF-8 local part fails.</summary>
    private static string PrepareAddress(string address, bool utf8Offered, SmtpPhase phase, ref bool needsUtf8)
    {
        if (System.Text.Ascii.IsValid(address))
        {
            return address;
        }

        if (utf8Offered)
        {
            needsUtf8 = true;
            return address;
        }

        int at = address.LastIndexOf('@');
        if (at < 0 || !System.Text.Ascii.IsValid(address.AsSpan(0, at)))
        {
            throw new SmtpException(phase, $"The address '{address}' has a non-ASCII local part and the server does not offer SMTPUTF8.", isTransient: false);
        }

        try
        {
            return string.Concat(address.AsSpan(0, at + 1), new IdnMapping().GetAscii(address[(at + 1)..]));
        }
        catch (ArgumentException e)
        {
            throw new SmtpException(phase, $"The domain of '{address}' cannot be written as A-labels: {e.Message}", isTransient: false, e);
        }
    }
}
