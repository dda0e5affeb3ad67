using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using SmtpCodec.Client;
using SmtpCodec.Sink;

namespace SmtpCodec.Extensions.Hosting.Tests;

public sealed class HealthCheckTests
{
    [Fact]
    public async Task HealthyWithOpenConnections()
    {
        await using SmtpSink sink = TestHost.StartSink();
        using IHost host = Build(TestHost.SenderKeys(sink, connections: 2));
        await host.StartAsync();

        HealthReportEntry entry = await CheckAsync(host, "smtp");
        await host.StopAsync();

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(2, entry.Data["open_connections"]);
        Assert.Equal("closed", entry.Data["breaker"]);
        Assert.False(entry.Data.ContainsKey("last_failure"));
    }

    [Fact]
    public async Task DegradedWithNoConnectionOpenAndNoBreaker()
    {
        await using SmtpSink sink = TestHost.StartSink();
        using IHost host = Build(TestHost.SenderKeys(sink, connections: 2), open: false);
        await host.StartAsync();

        HealthReportEntry entry = await CheckAsync(host, "smtp");
        await host.StopAsync();

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal(0, entry.Data["open_connections"]);
        Assert.Equal("closed", entry.Data["breaker"]);
        Assert.Contains("No connection is open", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnhealthyWhileTheBreakerIsOpenWithItsCause()
    {
        // AUTH with a wrong password is a permanent failure: the breaker opens and the pool stops trying.
        await using SmtpSink sink = TestHost.StartSink();
        using IHost host = Build(TestHost.SenderKeys(sink, password: "wrong", connections: 2));
        await host.StartAsync();

        HealthReportEntry entry = await CheckAsync(host, "smtp");
        SmtpSender sender = host.Services.GetRequiredService<SmtpSender>();
        SmtpDelivery refused = await sender.SendAsync(TestHost.Envelope(), TestHost.Message(0));
        await host.StopAsync();

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("open", entry.Data["breaker"]);
        Assert.Equal(0, entry.Data["open_connections"]);
        Assert.Contains("535", (string)entry.Data["last_failure"], StringComparison.Ordinal);
        Assert.Contains("The breaker is open", entry.Description, StringComparison.Ordinal);
        Assert.IsType<SmtpReplyException>(entry.Exception);
        Assert.Equal(SmtpFailureReason.ConnectionFailed, refused.Reason);

        // Once reset, the pool is no longer unhealthy (it connects on the next message).
        sender.ResetBreaker();
        Assert.Equal(HealthStatus.Degraded, (await new SmtpSenderHealthCheck(sender).CheckHealthAsync(Context())).Status);
    }

    [Fact]
    public async Task ANamedSendersCheckReportsOnThatSender()
    {
        await using SmtpSink sink = TestHost.StartSink();
        using IHost host = TestHost.Build(TestHost.SenderKeys(sink, "Bulk", password: "wrong", connections: 1), (services, configuration) =>
        {
            services.AddSmtpSender("bulk", configuration.GetSection("Bulk"));
            services.AddSmtpSender(options =>
            {
                options.Host = "127.0.0.1";
                options.Port = sink.EndPoint.Port;
                options.Connection.Tls.SkipCertificateValidation = true;
            });
            services.AddHealthChecks()
                .Add(SmtpSenderHealthCheck.Registration("bulk", tags: ["mail"]))
                .Add(SmtpSenderHealthCheck.Registration());
        });
        await host.StartAsync();

        HealthReport report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync();

        Assert.Equal(HealthStatus.Unhealthy, report.Entries["smtp-bulk"].Status);
        Assert.Equal(["mail"], report.Entries["smtp-bulk"].Tags);
        Assert.Equal(HealthStatus.Healthy, report.Entries["smtp"].Status);
    }

    private static IHost Build(Dictionary<string, string?> keys, bool open = true) => TestHost.Build(keys, (services, configuration) =>
    {
        services.AddSmtpSender(configuration.GetSection("Smtp")).ConfigureHosting(h => h.OpenConnectionsAtStart = open);
        services.AddHealthChecks().Add(SmtpSenderHealthCheck.Registration());
    });

    private static async Task<HealthReportEntry> CheckAsync(IHost host, string name)
    {
        HealthReport report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries[name];
    }

    private static HealthCheckContext Context() => new()
    {
        Registration = new HealthCheckRegistration("smtp", _ => throw new InvalidOperationException(), HealthStatus.Unhealthy, tags: null),
    };
}
