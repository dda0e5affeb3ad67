using System.Security.Cryptography.X509Certificates;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Sink;

/// <summary>STARTTLS with a certificate read from PEM files.</summary>
public sealed class SmtpSinkCertificateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sink-pem-").FullName;

    [Fact]
    public async Task AStartTlsSessionUsesTheCertificateFromPemFiles()
    {
        (string certificatePath, string keyPath) = TestCertificates.WriteLocalhostPem(_directory);
        using X509Certificate2 loaded = SmtpSink.LoadCertificateFromPem(certificatePath, keyPath);
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.StartTls,
            Certificate = loaded,
        });

        // Pinned to the original certificate: the handshake proves the sink presents the one from the files.
        await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, new SmtpConnectionOptions
        {
            EhloName = "client.test",
            Tls = new SmtpTlsOptions { PinnedCertificate = TestCertificates.Localhost, TargetHost = "localhost" },
        });

        Assert.True(connection.IsEncrypted);
        Assert.Equal(TestCertificates.Localhost.Thumbprint, sink.Certificate!.Thumbprint);
        await connection.QuitAsync();
    }

    [Fact]
    public void TheKeyMayFollowTheCertificateInOneFile()
    {
        (string certificatePath, _) = TestCertificates.WriteLocalhostPem(_directory, separateKey: false);

        using X509Certificate2 loaded = SmtpSink.LoadCertificateFromPem(certificatePath);

        Assert.True(loaded.HasPrivateKey);
        Assert.Equal(TestCertificates.Localhost.Thumbprint, loaded.Thumbprint);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        string missing = Path.Combine(_directory, "missing.pem");

        FileNotFoundException error = Assert.Throws<FileNotFoundException>(() => SmtpSink.LoadCertificateFromPem(missing));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACertificateWithoutItsKeyIsRefusedNamingTheFile()
    {
        string path = Path.Combine(_directory, "cert-only.pem");
        File.WriteAllText(path, TestCertificates.Localhost.ExportCertificatePem());

        IOException error = Assert.Throws<IOException>(() => SmtpSink.LoadCertificateFromPem(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
