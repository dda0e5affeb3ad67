using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Packaging;

/// <summary>
/// A .NET team adopting SmtpCodec from the packages alone: tests/consumer (a console program referencing only the
/// packed SmtpCodec packages, MimeKit through SmtpCodec.MimeKit, and Microsoft.Extensions.Hosting) is copied out of
/// the repository, so none of its build settings or central versions apply, restored from artifacts/packages with a
/// private package cache, and run. It sends a MimeMessage with an attachment and a Bcc recipient through
/// SmtpConnection and through a SmtpSender registered by AddSmtpSender in a generic host, to a sink requiring AUTH
/// over STARTTLS, and checks the store: no Bcc header, the Bcc recipient in every envelope, nothing lost at stop.
/// </summary>
public sealed class ConsumerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("smtpcodec-consumer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task AProgramReferencingOnlyThePackagesSendsAMimeMessageDirectlyAndThroughAHostedSender()
    {
        string version = PackageFolder.VersionOf(PackageFolder.Find("SmtpCodec.Client"));
        foreach (string id in PackageFolder.ExpectedIds.Where(id => id != "SmtpCodec.Tool"))
        {
            Assert.Equal(version, PackageFolder.VersionOf(PackageFolder.Find(id)));
        }

        string project = Path.Combine(_directory, "consumer");
        Directory.CreateDirectory(project);
        foreach (string file in new[] { "Consumer.csproj", "Program.cs" })
        {
            File.Copy(Path.Combine(RepositoryRoot.Path, "tests", "consumer", file), Path.Combine(project, file));
        }

        // The packed packages first; everything else (MimeKit, Microsoft.Extensions.*) from nuget.org.
        await File.WriteAllTextAsync(Path.Combine(project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="smtpcodec" value="{PackageFolder.Path}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="smtpcodec"><package pattern="SmtpCodec*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);

        Dictionary<string, string> environment = PackagedProcess.PrivateNuGet(_directory);
        (int exit, string output) = await PackagedProcess.RunAsync(
            "dotnet",
            ["run", "--project", Path.Combine(project, "Consumer.csproj"), "-c", "Release", $"-p:SmtpCodecVersion={version}"],
            environment,
            TimeSpan.FromMinutes(8));

        Assert.True(exit == 0, $"the consumer exited {exit}:\n{output}");
        Assert.Contains("consumer: ok, 21 messages stored, Bcc hidden and delivered, host stopped with nothing lost", output, StringComparison.Ordinal);
    }
}
