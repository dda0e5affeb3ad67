using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace SmtpCodec.Client;

/// <summary>TLS settings: server name, protocol floor, client certificate and how the server's certificate is checked.</summary>
public sealed class SmtpTlsOptions
{
    /// <summary>The name the server's certificate must carry and the SNI sent; the host connected to when null.</summary>
    public string? TargetHost { get; init; }

    /// <summary>The protocols allowed; the system's defaults (TLS 1.2 and 1.3) when None.</summary>
    public SslProtocols EnabledProtocols { get; init; } = SslProtocols.None;

    /// <summary>A client certificate to offer, if the server asks for one.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Trust exactly this certificate (e.g. a self-signed one), and no other, for the server.</summary>
    public X509Certificate2? PinnedCertificate { get; init; }

    /// <summary>A validation of your own; it replaces the system's chain and name checks.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    /// <summary>Accept any server certificate. Only for tests against a known local peer: it forgoes all protection against interception.</summary>
    public bool SkipCertificateValidation { get; init; }

    internal SslClientAuthenticationOptions ToAuthenticationOptions(string host)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = TargetHost ?? host,
            EnabledSslProtocols = EnabledProtocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (ClientCertificate is not null)
        {
            options.ClientCertificates = [ClientCertificate];
        }

        if (SkipCertificateValidation)
        {
#pragma warning disable CA5359 // The caller opted in explicitly (SkipCertificateValidation), for tests against a local peer.
            options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (PinnedCertificate is { } pinned)
        {
            options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData);
        }
        else if (ServerCertificateValidation is not null)
        {
            options.RemoteCertificateValidationCallback = ServerCertificateValidation;
        }

        return options;
    }
}
