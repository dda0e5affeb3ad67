using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SmtpCodec.Client;
using SmtpCodec.Sink;

namespace SmtpCodec.Extensions.Hosting.Tests;

public sealed class HostedServiceTests
{
    [Fact]
    public async Task TheConnectionsOpenAtStartAndANormalStopDeliversEverythingQueued()
    {
        await using SmtpSink sink = TestHost.StartSink(replyDelay: TimeSpan.FromMilliseconds(5));
        using IHost host = TestHost.Build(TestHost.SenderKeys(sink, connections: 3), (services, configuration) => services.AddSmtpSender(configuration.GetSection("Smtp")));
        await host.StartAsync();
        SmtpSender sender = host.Services.GetRequiredService<SmtpSender>();
        Assert.Equal(3, sender.OpenConnections);
        Assert.Equal(3, sink.Connections);

        // Queued, not awaited: the stop must send them all.
        var queued = new List<SmtpQueuedMessage>();
        for (int i = 0; i < 100; i++)
        {
            queued.Add(await sender.EnqueueAsync(TestHost.Envelope(), TestHost.Message(i)));
        }

        await host.StopAsync();

        SmtpDelivery[] deliveries = await Task.WhenAll(queued.Select(q => q.Delivery.AsTask()));
        Assert.All(deliveries, d => Assert.True(d.Accepted, d.Error));
        Assert.Equal(100, sink.Messages);
        Assert.Equal(0, sender.OpenConnections);
        await Assert.ThrowsAsync<InvalidOperationException>(() => sender.SendAsync(TestHost.Envelope(), TestHost.Message(0)).AsTask());
    }

    [Fact]
    public async Task AStopPastTheShutdownTimeoutEndsInTimeAndAccountsForEveryMessage()
    {
        // Each reply waits 100 ms: 400 messages over 2 connections would take 20 s or more to drain.
        await using SmtpSink sink = TestHost.StartSink(replyDelay: TimeSpan.FromMilliseconds(100));
        using IHost host = TestHost.Build(
            TestHost.SenderKeys(sink, connections: 2),
            (services, configuration) => services.AddSmtpSender(configuration.GetSection("Smtp")),
            shutdownTimeout: TimeSpan.FromMilliseconds(500));
        await host.StartAsync();
        SmtpSender sender = host.Services.GetRequiredService<SmtpSender>();
        var queued = new List<SmtpQueuedMessage>();
        for (int i = 0; i < 400; i++)
        {
            queued.Add(await sender.EnqueueAsync(TestHost.Envelope(), TestHost.Message(i)));
        }

        var clock = Stopwatch.StartNew();
        await host.StopAsync();
        TimeSpan stopping = clock.Elapsed;

        // Every message ended before the stop returned: none is left waiting, none was dropped.
        Assert.All(queued, q => Assert.True(q.Delivery.IsCompleted));
        SmtpDelivery[] deliveries = await Task.WhenAll(queued.Select(q => q.Delivery.AsTask()));
        Assert.Equal(400, sender.AcceptedCount + sender.FailedCount);
        Assert.Equal(sender.AcceptedCount, deliveries.Count(d => d.Accepted));
        Assert.True(stopping < TimeSpan.FromSeconds(10), $"the stop took {stopping}");

        // What was not sent failed with the shutdown as its reason; a message whose end of data was out is unknown.
        SmtpDelivery[] failed = [.. deliveries.Where(d => !d.Accepted)];
        Assert.NotEmpty(failed);
        Assert.All(failed, d => Assert.True(d.Reason is SmtpFailureReason.Cancelled or SmtpFailureReason.OutcomeUnknown, $"{d.Reason}: {d.Error}"));
        Assert.Contains(failed, d => d.Reason == SmtpFailureReason.Cancelled && d.Error!.Contains("shutdown deadline", StringComparison.Ordinal));

        // The sink holds every accepted message, and at most the unknown ones besides.
        Assert.InRange(sink.Messages, sender.AcceptedCount, sender.AcceptedCount + failed.Count(d => d.Reason == SmtpFailureReason.OutcomeUnknown));
    }

    [Fact]
    public async Task AnUnreachableServerDoesNotFailTheStartUnlessRequired()
    {
        var gone = SmtpSink.Start(new SmtpSinkOptions());
        int port = gone.EndPoint.Port;
        await gone.DisposeAsync();
        var keys = new Dictionary<string, string?>
        {
            ["Smtp:Host"] = "127.0.0.1",
            ["Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Smtp:Connections"] = "1",
            ["Smtp:RetryDelay"] = "00:00:00.050",
            ["Smtp:MaxAttempts"] = "1",
        };

        using (IHost lenient = TestHost.Build(keys, (services, configuration) => services.AddSmtpSender(configuration.GetSection("Smtp"))))
        {
            await lenient.StartAsync();
            SmtpSender sender = lenient.Services.GetRequiredService<SmtpSender>();
            Assert.Equal(0, sender.OpenConnections);
            Assert.NotNull(sender.LastConnectionFailure);
            SmtpDelivery delivery = await sender.SendAsync(TestHost.Envelope(), TestHost.Message(0));
            Assert.Equal(SmtpFailureReason.TransientFailuresExhausted, delivery.Reason);
            await lenient.StopAsync();
        }

        keys["Smtp:Hosting:RequireConnectionsAtStart"] = "true";
        using IHost strict = TestHost.Build(keys, (services, configuration) => services.AddSmtpSender(configuration.GetSection("Smtp")));
        SmtpException error = await Assert.ThrowsAsync<SmtpException>(() => strict.StartAsync());
        Assert.Equal(SmtpPhase.Connect, error.Phase);
    }

    [Fact]
    public async Task ASenderNotOpenedAtStartConnectsOnItsFirstMessage()
    {
        await using SmtpSink sink = TestHost.StartSink();
        using IHost host = TestHost.Build(
            TestHost.SenderKeys(sink, connections: 2),
            (services, configuration) => services.AddSmtpSender(configuration.GetSection("Smtp")).ConfigureHosting(h => h.OpenConnectionsAtStart = false));
        await host.StartAsync();
        SmtpSender sender = host.Services.GetRequiredService<SmtpSender>();
        Assert.Equal(0, sink.Connections);

        Assert.True((await sender.SendAsync(TestHost.Envelope(), TestHost.Message(0))).Accepted);
        Assert.Equal(1, sender.OpenConnections);
        await host.StopAsync();
    }
}
