using SmtpCodec.Commands;
using SmtpCodec.Protocol;

namespace SmtpCodec.Client;

/// <summary>Who a message is from and to, with the ESMTP parameters to send where the server offers them.</summary>
public sealed class SmtpEnvelope
{
    /// <summary>Creates an envelope.</summary>
    /// <param name="from">The reverse path as a bare address; empty for the null reverse path <c>&lt;&gt;</c>.</param>
    /// <param name="recipients">One or more forward paths, as bare addresses.</param>
    public SmtpEnvelope(string from, IEnumerable<string> recipients)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(recipients);
        From = from;
        Recipients = recipients.ToArray();
        if (Recipients.Count == 0)
        {
            throw new ArgumentException("An envelope needs at least one recipient.", nameof(recipients));
        }
    }

    /// <summary>Creates an envelope with one or more recipients.</summary>
    /// <param name="from">The reverse path; empty for <c>&lt;&gt;</c>.</param>
    /// <param name="recipients">The forward paths.</param>
    public SmtpEnvelope(string from, params string[] recipients)
        : this(from, (IEnumerable<string>)recipients)
    {
    }

    /// <summary>The reverse path; empty for the null reverse path.</summary>
    public string From { get; }

    /// <summary>The forward paths.</summary>
    public IReadOnlyList<string> Recipients { get; private set; }

    /// <summary>BODY= to declare; None lets the connection choose (8BITMIME when the content has 8-bit bytes).</summary>
    public BodyType Body { get; init; }

    /// <summary>RET= for delivery status notifications (RFC 3461); None sends nothing.</summary>
    public DsnReturn Return { get; init; }

    /// <summary>ENVID= (RFC 3461); null sends nothing.</summary>
    public string? EnvelopeId { get; init; }

    /// <summary>NOTIFY= for every recipient (RFC 3461); None sends nothing.</summary>
    public DsnNotifyFlags Notify { get; init; }

    /// <summary>
    /// Declare SMTPUTF8 (RFC 6531): the message has UTF-8 in its headers (RFC 6532). Content held in memory or in a
    /// seekable stream is scanned and declares it by itself where the server offers SMTPUTF8; set it for a pipe or
    /// an unseekable stream. UTF-8 addresses declare it by themselves.
    /// </summary>
    public bool SmtpUtf8 { get; init; }

    /// <summary>Ask that the message travel only over TLS (REQUIRETLS, RFC 8689).</summary>
    public bool RequireTls { get; init; }

    /// <summary>MT-PRIORITY= from -9 to 9 (RFC 6710); null sends nothing.</summary>
    public int? Priority { get; init; }

    /// <summary>BY= (RFC 2852): deliver within a time or else return or notify; needs DELIVERBY; null sends nothing.</summary>
    public DeliverByRequest? DeliverBy { get; init; }

    /// <summary>
    /// The same envelope for other recipients (a further transaction after 452 too-many-recipients). Every
    /// other field is copied by the runtime, member by member, so a field added later cannot be left behind.
    /// </summary>
    /// <param name="recipients">The forward paths of the copy.</param>
    /// <returns>The copy.</returns>
    internal SmtpEnvelope WithRecipients(IEnumerable<string> recipients)
    {
        string[] list = recipients.ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("An envelope needs at least one recipient.", nameof(recipients));
        }

        var copy = (SmtpEnvelope)MemberwiseClone();
        copy.Recipients = list;
        return copy;
    }
}
