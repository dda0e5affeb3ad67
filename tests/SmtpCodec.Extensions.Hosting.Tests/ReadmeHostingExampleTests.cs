using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SmtpCodec.Client;
using SmtpCodec.Sink;

namespace SmtpCodec.Extensions.Hosting.Tests;

/// <summary>The README's "Hosting" example and appsettings.json, compiled, run and bound, word for word.</summary>
public sealed class ReadmeHostingExampleTests
{
    [Fact]
    public async Task TheReadmeHostSendsThroughBothSendersAndReportsHealthy()
    {
        await using SmtpSink sink = TestHost.StartSink();
        await using SmtpSink alerts = TestHost.StartSink();
        string[] args = [.. TestHost.SenderKeys(sink).Concat(TestHost.SenderKeys(alerts, "AlertSmtp", connections: 3)).Select(k => $"--{k.Key}={k.Value}")];
        using IHost host = BuildHost(args);
        await host.StartAsync();

        Mailer mailer = host.Services.GetRequiredService<Mailer>();
        SmtpDelivery[] deliveries = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => mailer.SendAsync(TestHost.Message(i), CancellationToken.None)));
        SmtpSender alertSender = host.Services.GetRequiredKeyedService<SmtpSender>("alerts");
        SmtpDelivery alert = await alertSender.SendAsync(TestHost.Envelope(), TestHost.Message(9));
        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync();

        Assert.All(deliveries.Append(alert), d => Assert.True(d.Accepted, d.Error));
        Assert.Equal((5, 1), (sink.Messages, alerts.Messages));
        Assert.Equal(1, alerts.Connections);
        Assert.Equal(HealthStatus.Healthy, health.Status);
    }

    [Fact]
    public void TheReadmeExampleIsTheTestedCode()
    {
        string[] readme = Code(Block("```csharp\n").Split('\n').Where(l => !l.StartsWith("using ", StringComparison.Ordinal)));
        string source = File.ReadAllText(Path.Combine(Root(), "tests", "SmtpCodec.Extensions.Hosting.Tests", "ReadmeHostingExampleTests.cs"));
        const string Start = "// --- README example starts here ---\n";
        // The last markers: the first ones are in this method's own text.
        int from = source.LastIndexOf(Start, StringComparison.Ordinal) + Start.Length;
        int to = source.LastIndexOf("// --- README example ends here ---", StringComparison.Ordinal);

        Assert.Equal(Code(source[from..to].Split('\n')), readme);
    }

    [Fact]
    public void TheReadmeAppSettingsBindAndValidate()
    {
        string file = Path.Combine(Path.GetTempPath(), $"readme-appsettings-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, Block("```json\n"));
        try
        {
            IConfiguration configuration = new ConfigurationBuilder().AddJsonFile(file).Build();
            var services = new ServiceCollection();
            services.AddSmtpSender(configuration.GetSection("Smtp"));
            services.AddSmtpSender("alerts", configuration.GetSection("AlertSmtp"));
            IOptionsMonitor<SmtpSenderOptions> monitor = services.BuildServiceProvider().GetRequiredService<IOptionsMonitor<SmtpSenderOptions>>();
            SmtpSenderOptions smtp = monitor.Get(Options.DefaultName);
            SmtpSenderOptions alerts = monitor.Get("alerts");

            Assert.Empty(smtp.Validate());
            Assert.Empty(alerts.Validate());
            Assert.Equal(("smtp.example.com", 587, 8, SmtpTlsMode.StartTlsRequired), (smtp.Host, smtp.Port, smtp.Connections, smtp.Connection.TlsMode));
            Assert.Equal("app@example.com", smtp.Connection.Credentials!.UserName);
            Assert.Equal(("alerts.example.com", 465), (alerts.Host, alerts.Port));
        }
        finally
        {
            File.Delete(file);
        }
    }

    // --- README example starts here ---
    static IHost BuildHost(string[] args)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddSmtpSender(builder.Configuration.GetSection("Smtp"));               // inject SmtpSender
        builder.Services.AddSmtpSender("alerts", builder.Configuration.GetSection("AlertSmtp"))  // [FromKeyedServices("alerts")]
            .Configure(options => options.Connections = 1);                                      // code runs after configuration
        builder.Services.AddHealthChecks().Add(SmtpSenderHealthCheck.Registration());
        builder.Services.AddSingleton<Mailer>();
        return builder.Build();
    }

    sealed class Mailer(SmtpSender sender)
    {
        public async Task<SmtpDelivery> SendAsync(byte[] message, CancellationToken cancellationToken) =>
            await sender.SendAsync(new SmtpEnvelope("app@example.com", "friend@example.org"), message, cancellationToken);
    }
    // --- README example ends here ---

    /// <summary>The first block opened by <paramref name="fence"/> in the README's "Hosting" section.</summary>
    private static string Block(string fence)
    {
        string readme = File.ReadAllText(Path.Combine(Root(), "README.md"));
        int section = readme.IndexOf("## Hosting\n", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no section '## Hosting'");
        int start = readme.IndexOf(fence, section, StringComparison.Ordinal) + fence.Length;
        return readme[start..readme.IndexOf("```\n", start, StringComparison.Ordinal)];
    }

    private static string[] Code(IEnumerable<string> lines)
    {
        string[] kept = [.. lines.Select(l => l.TrimEnd()).Where(l => l.Length > 0)];
        int indent = kept.Min(l => l.Length - l.TrimStart().Length);
        return [.. kept.Select(l => l[indent..])];
    }

    private static string Root()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SmtpCodec.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root (SmtpCodec.sln) was not found.");
    }
}
