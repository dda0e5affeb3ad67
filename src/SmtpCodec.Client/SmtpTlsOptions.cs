using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace SmtpCodec.Client;

/// <summary>TLS settings: server name, protocol floor, client certificate and how the server's certificate is checked.</summary>
public sealed class SmtpTlsOptions
{
    /// <summary>The name the server's certificate must carry and the SNI sent; the host connected to when null.</summary>
    public string? TargetHost { get; set; }

    /// <summary>The protocols allowed; the system's defaults (TLS 1.2 and 1.3) when None.</summary>
    public SslProtocols EnabledProtocols { get; set; } = SslProtocols.None;

    /// <summary>A client certificate to offer, if the server asks for one.</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>Trust exactly this certificate (e.g. a self-signed one), and no other, for the server.</summary>
    public X509Certificate2? PinnedCertificate { get; set; }

    /// <summary>A validation of your own; it replaces the system's chain and name checks.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>Accept any server certificate. Only for tests against a known local peer: it forgoes all protection against interception.</summary>
    public bool SkipCertificateValidation { get; set; }

    internal SslClientAuthenticationOptions ToAuthenticationOptions(string host, TlsDiagnosis diagnosis)
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
                certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData)
                || diagnosis.Refused($"the server's certificate ({Describe(certificate)}) is not the pinned one ({Describe(pinned)})");
        }
        else if (ServerCertificateValidation is { } validate)
        {
            options.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                validate(sender, certificate, chain, errors)
                || diagnosis.Refused($"the validation callback refused the server's certificate ({Describe(certificate)}; {errors})");
        }
        else
        {
            // The system's own checks, as without a callback, with the reason kept for the error message.
            options.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                errors == SslPolicyErrors.None || diagnosis.Refused(DescribePolicyErrors(certificate, chain, errors));
        }

        return options;
    }

    private static string Describe(X509Certificate? certificate) =>
        certificate is null ? "none" : $"subject {certificate.Subject}, SHA-256 {Convert.ToHexString(certificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256))}";

    private static string DescribePolicyErrors(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var reasons = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            reasons.Add("the server sent no certificate");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reasons.Add("the certificate's names do not include the host");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            IEnumerable<string> statuses = chain?.ChainStatus.Select(s => $"{s.Status} ({s.StatusInformation.Trim()})") ?? [];
            reasons.Add($"the certificate chain is not trusted: {string.Join(", ", statuses.DefaultIfEmpty("no detail"))}");
        }

        return $"{string.Join("; ", reasons)} ({Describe(certificate)})";
    }
}

/// <summary>Why a TLS handshake's certificate check said no, kept for the error message.</summary>
internal sealed class TlsDiagnosis
{
    /// <summary>The reason the certificate was refused, or null.</summary>
    public string? Reason { get; private set; }

    /// <summary>Keeps the reason and says no.</summary>
    public bool Refused(string reason)
    {
        Reason = reason;
        return false;
    }
}
