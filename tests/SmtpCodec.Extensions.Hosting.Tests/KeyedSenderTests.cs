using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SmtpCodec.Client;
using SmtpCodec.Sink;

namespace SmtpCodec.Extensions.Hosting.Tests;

public sealed class KeyedSenderTests
{
    [Fact]
    public async Task NamedSendersAreDistinctKeyedServicesConfiguredSeparately()
    {
        await using SmtpSink bulkSink = TestHost.StartSink();
        await using SmtpSink alertSink = TestHost.StartSink();
        await using SmtpSink defaultSink = TestHost.StartSink();
        Dictionary<string, string?> keys = new[] { TestHost.SenderKeys(bulkSink, "Bulk", connections: 3), TestHost.SenderKeys(defaultSink, "Smtp", connections: 1) }
            .SelectMany(d => d).ToDictionary();
        using IHost host = TestHost.Build(keys, (services, configuration) =>
        {
            services.AddSmtpSender(configuration.GetSection("Smtp"));
            services.AddSmtpSender("bulk", configuration.GetSection("Bulk"));
            services.AddSmtpSender("alerts", options =>
            {
                options.Host = "127.0.0.1";
                options.Port = alertSink.EndPoint.Port;
                options.Connections = 1;
                options.Connection.Tls.SkipCertificateValidation = true;
                options.Connection.Credentials = new SmtpCredentials(TestHost.User, TestHost.Password);
            });
            services.AddSingleton<Consumer>();
        });
        await host.StartAsync();

        Consumer consumer = host.Services.GetRequiredService<Consumer>();
        Assert.NotSame(consumer.Bulk, consumer.Alerts);
        Assert.NotSame(consumer.Default, consumer.Bulk);
        Assert.Same(consumer.Bulk, host.Services.GetRequiredKeyedService<SmtpSender>("bulk"));
        IOptionsMonitor<SmtpSenderOptions> options = host.Services.GetRequiredService<IOptionsMonitor<SmtpSenderOptions>>();
        Assert.Equal((3, 1, 1), (options.Get("bulk").Connections, options.Get("alerts").Connections, options.Get(Options.DefaultName).Connections));

        SmtpDelivery[] bulk = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => consumer.Bulk.SendAsync(TestHost.Envelope(), TestHost.Message(i)).AsTask()));
        SmtpDelivery alert = await consumer.Alerts.SendAsync(TestHost.Envelope(), TestHost.Message(10));
        SmtpDelivery plain = await consumer.Default.SendAsync(TestHost.Envelope(), TestHost.Message(20));
        await host.StopAsync();

        Assert.All(bulk.Append(alert).Append(plain), d => Assert.True(d.Accepted, d.Error));
        Assert.Equal((3, 1, 1), (bulkSink.Messages, alertSink.Messages, defaultSink.Messages));
    }

    private sealed class Consumer([FromKeyedServices("bulk")] SmtpSender bulk, [FromKeyedServices("alerts")] SmtpSender alerts, SmtpSender @default)
    {
        public SmtpSender Bulk { get; } = bulk;

        public SmtpSender Alerts { get; } = alerts;

        public SmtpSender Default { get; } = @default;
    }
}
