using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

[Collection(SerialTestGroup.Name)]
public sealed class SmtpTelemetryTests
{
    [Fact]
    public async Task ASendRecordsCountersAndSpans()
    {
        var measurements = new ConcurrentDictionary<string, long>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SmtpTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, _, _) => measurements.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        meters.SetMeasurementEventCallback<double>((instrument, _, _, _) => measurements.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1));
        meters.Start();
        var spans = new ConcurrentBag<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SmtpTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(activities);

        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250-mx.test\r\n250 PIPELINING\r\n")
            .Expect("MAIL FROM:<you@example.com>").Expect("RCPT TO:<a@example.com>").Expect("RCPT TO:<b@example.com>").Expect("DATA")
            .Send("250 Ok\r\n250 Ok\r\n550 5.1.1 no\r\n354 go\r\n")
            .ExpectContent().Send("250 2.0.0 queued\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");
        await SmtpConnectionTests.RunAsync(server, async connection =>
        {
            await connection.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com", "b@example.com"), "hi"u8.ToArray());
            await connection.QuitAsync();
        });

        Assert.True(measurements.GetValueOrDefault("smtpcodec.client.connections.opened") >= 1);
        Assert.True(measurements.GetValueOrDefault("smtpcodec.client.messages.delivered") >= 1);
        Assert.True(measurements.GetValueOrDefault("smtpcodec.client.recipients.rejected") >= 1);
        Assert.True(measurements.GetValueOrDefault("smtpcodec.client.send.duration") >= 1);
        Assert.Contains(spans, a => a.OperationName == "smtp.connect" && (string?)a.GetTagItem("server.address") == "mx.test");
        Assert.Contains(spans, a => a.OperationName == "smtp.send" && (int?)a.GetTagItem("smtp.message.recipient_count") == 2 && (int?)a.GetTagItem("smtp.response.status_code") == 250);
    }
}
