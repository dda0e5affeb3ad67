using SmtpCodec.Protocol;

namespace SmtpCodec.Client;

/// <summary>Who to authenticate as, and with which mechanism.</summary>
public sealed class SmtpCredentials
{
    /// <summary>Creates credentials.</summary>
    /// <param name="userName">The user name (for OAuth mechanisms, the mailbox).</param>
    /// <param name="secret">The password, or the OAuth 2.0 access token for XOAUTH2 and OAUTHBEARER.</param>
    /// <param name="mechanism">A mechanism to insist on; None picks the strongest the server offers.</param>
    public SmtpCredentials(string userName, string secret, SaslMechanism mechanism = SaslMechanism.None)
    {
        ArgumentException.ThrowIfNullOrEmpty(userName);
        ArgumentNullException.ThrowIfNull(secret);
        if (mechanism != SaslMechanism.None && !SaslMechanismNames.IsClientSupported(mechanism))
        {
            throw new ArgumentException($"SmtpCodec has no client for {SaslMechanismNames.GetName(mechanism)}.", nameof(mechanism));
        }

        UserName = userName;
        Secret = secret;
        Mechanism = mechanism;
    }

    /// <summary>The user name.</summary>
    public string UserName { get; }

    /// <summary>The password or access token.</summary>
    public string Secret { get; }

    /// <summary>The mechanism insisted on, or None for the strongest offered.</summary>
    public SaslMechanism Mechanism { get; }

    /// <summary>Whether the mechanism is for OAuth 2.0 tokens.</summary>
    internal bool IsToken => Mechanism is SaslMechanism.XOAuth2 or SaslMechanism.OAuthBearer;
}
