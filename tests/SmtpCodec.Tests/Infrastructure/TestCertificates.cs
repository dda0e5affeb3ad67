using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SmtpCodec.Sink;

namespace SmtpCodec.Tests.Infrastructure;

/// <summary>A self-signed certificate for localhost, made in memory once per test run by the sink's own maker.</summary>
internal static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> s_localhost = new(() => SmtpSink.CreateSelfSignedCertificate("localhost"));

    public static X509Certificate2 Localhost => s_localhost.Value;

    /// <summary>Writes <see cref="Localhost"/> as PEM: cert.pem and key.pem (PKCS#8), or the key after the certificate in cert.pem.</summary>
    public static (string Certificate, string Key) WriteLocalhostPem(string directory, bool separateKey = true)
    {
        using ECDsa key = Localhost.GetECDsaPrivateKey()!;
        string certificatePem = Localhost.ExportCertificatePem();
        string keyPem = key.ExportPkcs8PrivateKeyPem();
        string certificatePath = Path.Combine(directory, "cert.pem");
        string keyPath = Path.Combine(directory, "key.pem");
        File.WriteAllText(certificatePath, separateKey ? certificatePem : certificatePem + "\n" + keyPem);
        if (separateKey)
        {
            File.WriteAllText(keyPath, keyPem);
        }

        return (certificatePath, keyPath);
    }
}
