using System.Security.Cryptography.X509Certificates;
using SmtpCodec.Sink;

namespace SmtpCodec.Tests.Infrastructure;

/// <summary>A self-signed certificate for localhost, made in memory once per test run by the sink's own maker.</summary>
internal static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> s_localhost = new(() => SmtpSink.CreateSelfSignedCertificate("localhost"));

    public static X509Certificate2 Localhost => s_localhost.Value;
}
