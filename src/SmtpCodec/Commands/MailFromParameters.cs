using System;
using SmtpCodec.Protocol;

namespace SmtpCodec.Commands;

/// <summary>
/// The ESMTP parameters of a MAIL command; a default value sends none. Send only those the server's
/// EHLO offered (<see cref="EsmtpParameterNames.GetExtension"/>).
/// </summary>
public readonly ref struct MailFromParameters
{
    /// <summary>SIZE=n, the message size in octets (RFC 1870); null for none.</summary>
    public long? Size { get; init; }

    /// <summary>BODY=7BIT / 8BITMIME / BINARYMIME (RFC 6152, RFC 3030); None for none.</summary>
    public BodyType Body { get; init; }

    /// <summary>SMTPUTF8 (RFC 6531): also allows UTF-8 in the reverse path.</summary>
    public bool SmtpUtf8 { get; init; }

    /// <summary>RET=FULL / HDRS (RFC 3461 section 4.3); None for none.</summary>
    public DsnReturn Return { get; init; }

    /// <summary>ENVID (RFC 3461 section 4.4): up to 100 printable ASCII characters, written as xtext; empty for none.</summary>
    public ReadOnlySpan<char> EnvelopeId { get; init; }

    /// <summary>AUTH= (RFC 4954 section 5): the authenticated submitter's mailbox, or "&lt;&gt;" when unknown; written as xtext; empty for none.</summary>
    public ReadOnlySpan<char> Auth { get; init; }

    /// <summary>REQUIRETLS (RFC 8689).</summary>
    public bool RequireTls { get; init; }

    /// <summary>MT-PRIORITY=n, -9 to 9 (RFC 6710); null for none.</summary>
    public int? MtPriority { get; init; }

    /// <summary>BY=time;mode[T] (RFC 2852 section 4): deliver within a time, else return or notify; null for none.</summary>
    public DeliverByRequest? DeliverBy { get; init; }
}

/// <summary>A Deliver By request (RFC 2852 section 4): <c>BY=seconds;R</c> or <c>BY=seconds;N</c>, with <c>T</c> to trace.</summary>
/// <param name="Seconds">The time to deliver within, from -999999999 to 999999999 seconds; with <see cref="DeliverByMode.Return"/> it must be positive.</param>
/// <param name="Mode">What to do when the time passes.</param>
/// <param name="Trace">Whether to ask for a delivery status notification at each hop (the <c>T</c> flag).</param>
public readonly record struct DeliverByRequest(int Seconds, DeliverByMode Mode, bool Trace = false);

/// <summary>What a server does with a message not delivered in time (RFC 2852 section 4).</summary>
public enum DeliverByMode
{
    /// <summary>N: deliver late, with a "delayed" delivery status notification.</summary>
    Notify = 0,

    /// <summary>R: return the message as undeliverable.</summary>
    Return = 1,
}
