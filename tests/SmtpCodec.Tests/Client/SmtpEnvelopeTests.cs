using System.Collections.Concurrent;
using System.Reflection;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>Envelopes copied for a further transaction keep every field.</summary>
public sealed class SmtpEnvelopeTests
{
    [Fact]
    public void ACopyForOtherRecipientsKeepsEveryOtherProperty()
    {
        var envelope = new SmtpEnvelope("a@example.com", "b@example.com", "c@example.com")
        {
            Body = BodyType.EightBitMime,
            Return = DsnReturn.Full,
            EnvelopeId = "envelope-1",
            Notify = DsnNotifyFlags.Delay,
            RequireTls = true,
            Priority = -4,
        };

        SmtpEnvelope copy = envelope.WithRecipients(["c@example.com"]);

        Assert.Equal(["c@example.com"], copy.Recipients);
        Assert.Equal(["b@example.com", "c@example.com"], envelope.Recipients);

        // Every public property but the recipients, including any added later, is the original's.
        foreach (PropertyInfo property in typeof(SmtpEnvelope).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.Name != nameof(SmtpEnvelope.Recipients))
            {
                Assert.Equal(property.GetValue(envelope), property.GetValue(copy));
            }
        }

        Assert.Throws<ArgumentException>(() => envelope.WithRecipients([]));
    }

    [Fact]
    public async Task AFollowUpAfter452SendsTheSameMailParametersAndRecipientParameters()
    {
        var commands = new ConcurrentQueue<string>();
        int deferrals = 0;
        var peer = new PipeSmtpPeer
        {
            ExtraExtensions = ["DSN", "MT-PRIORITY"],
            Override = (line, _) =>
            {
                commands.Enqueue(line);
                return line.Contains("<late@", StringComparison.Ordinal) && Interlocked.Increment(ref deferrals) == 1 ? "452 4.5.3 Too many recipients" : null;
            },
        };
        var envelope = new SmtpEnvelope("sender@example.com", "first@example.com", "late@example.com")
        {
            Body = BodyType.EightBitMime,
            Return = DsnReturn.Headers,
            EnvelopeId = "id-42",
            Notify = DsnNotifyFlags.Success | DsnNotifyFlags.Delay,
            Priority = 2,
        };

        await using (var sender = new SmtpSender(SmtpSenderStreamingTests.Options(peer, chunking: false)))
        {
            SmtpDelivery delivery = await sender.SendAsync(envelope, SmtpSenderStreamingTests.Message(1));
            Assert.True(delivery.Accepted, delivery.Error);
            Assert.Null(delivery.RefusedRecipients);
        }

        string[] mails = commands.Where(c => c.StartsWith("MAIL ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, mails.Length);
        Assert.Equal(mails[0], mails[1]);
        Assert.Contains(" BODY=8BITMIME", mails[0], StringComparison.Ordinal);
        Assert.Contains(" RET=HDRS ENVID=id-42", mails[0], StringComparison.Ordinal);
        Assert.Contains(" MT-PRIORITY=2", mails[0], StringComparison.Ordinal);
        string[] late = commands.Where(c => c.Contains("<late@", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, late.Length);
        Assert.All(late, line => Assert.EndsWith(" NOTIFY=SUCCESS,DELAY", line, StringComparison.Ordinal));
    }
}
