using System.Globalization;
using System.Text;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sink;

/// <summary>
/// Builds the sink's EHLO replies once at start, one for before TLS and one for after: a session then
/// writes a ready array, with nothing to format per EHLO.
/// </summary>
internal static class EhloReplyBuilder
{
    // The seed article's iCloud list, without the ETRN the sink does not implement; STARTTLS stands where
    // AUTH does, as each is offered only on its side of TLS.
    private static readonly EhloKeyword[] s_articleOrder =
    [
        EhloKeyword.Pipelining, EhloKeyword.Size, EhloKeyword.StartTls, EhloKeyword.Auth,
        EhloKeyword.EnhancedStatusCodes, EhloKeyword.EightBitMime, EhloKeyword.Dsn, EhloKeyword.SmtpUtf8,
    ];

    // Its AUTH line without the proprietary ATOKEN, ATOKEN2, WSTOKEN and WETOKEN.
    private static readonly SaslMechanism[] s_articleMechanisms = [SaslMechanism.Login, SaslMechanism.Plain, SaslMechanism.XOAuth2];

    /// <summary>The whole reply to EHLO, from "250-name" to the last "250 " line.</summary>
    /// <param name="options">What the sink offers.</param>
    /// <param name="afterTls">Whether TLS is up: STARTTLS is offered only before it, AUTH only after it when STARTTLS is offered.</param>
    public static byte[] Build(SmtpSinkOptions options, bool afterTls)
    {
        var lines = new List<string> { options.ServerName };
        foreach (EhloKeyword keyword in Order(options.Profile))
        {
            EhloExtensions flag = EhloKeywords.ToFlag(keyword);
            if ((options.Extensions & flag) == 0 || !IsOfferedNow(options.Extensions, flag, afterTls))
            {
                continue;
            }

            var line = new StringBuilder(EhloKeywords.GetName(keyword));
            switch (keyword)
            {
                case EhloKeyword.Size:
                    line.Append(' ').Append(options.MaxMessageSize.ToString(CultureInfo.InvariantCulture));
                    break;
                case EhloKeyword.Auth:
                    foreach (SaslMechanism mechanism in Mechanisms(options.Profile))
                    {
                        if ((options.AuthMechanisms & SaslMechanismNames.ToFlag(mechanism)) != 0)
                        {
                            line.Append(' ').Append(SaslMechanismNames.GetName(mechanism));
                        }
                    }

                    break;
                case EhloKeyword.Limits:
                    line.Append(" RCPTMAX=").Append(options.MaxRecipients.ToString(CultureInfo.InvariantCulture));
                    break;
            }

            lines.Add(line.ToString());
        }

        var reply = new StringBuilder();
        for (int i = 0; i < lines.Count; i++)
        {
            reply.Append(i == lines.Count - 1 ? "250 " : "250-").Append(lines[i]).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(reply.ToString());
    }

    /// <summary>Whether an offered extension is on offer on this side of TLS.</summary>
    public static bool IsOfferedNow(EhloExtensions offered, EhloExtensions extension, bool afterTls) => extension switch
    {
        _ when (offered & extension) == 0 => false,
        EhloExtensions.StartTls => !afterTls,
        EhloExtensions.Auth => afterTls || (offered & EhloExtensions.StartTls) == 0,
        _ => true,
    };

    private static IEnumerable<EhloKeyword> Order(SmtpSinkProfile profile)
    {
        IEnumerable<EhloKeyword> table = EhloKeywords.All.ToArray();
        return profile == SmtpSinkProfile.Article
            ? s_articleOrder.Concat(table.Except(s_articleOrder))
            : table.Where(k => k != EhloKeyword.Help).Append(EhloKeyword.Help);
    }

    private static IEnumerable<SaslMechanism> Mechanisms(SmtpSinkProfile profile)
    {
        IEnumerable<SaslMechanism> table = SaslMechanismNames.All.ToArray();
        return profile == SmtpSinkProfile.Article ? s_articleMechanisms.Concat(table.Except(s_articleMechanisms)) : table;
    }
}
