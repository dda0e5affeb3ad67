using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SmtpCodec.Client;

/// <summary>
/// Observability without dependencies: the <see cref="Meter"/> and <see cref="ActivitySource"/> named
/// <see cref="Name"/>. Recording costs nothing while nobody listens.
/// </summary>
public static class SmtpTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "SmtpCodec.Client";

    /// <summary>Spans: <c>smtp.connect</c> (greeting, EHLO, STARTTLS, AUTH) and <c>smtp.send</c> (one message).</summary>
    public static ActivitySource ActivitySource { get; } = new(Name);

    internal static Meter Meter { get; } = new(Name);

    internal static Counter<long> ConnectionsOpened { get; } =
        Meter.CreateCounter<long>("smtpcodec.client.connections.opened", unit: "{connection}", description: "Connections that reached the ready state.");

    internal static Counter<long> MessagesDelivered { get; } =
        Meter.CreateCounter<long>("smtpcodec.client.messages.delivered", unit: "{message}", description: "Messages the server accepted for at least one recipient.");

    internal static Counter<long> MessagesFailed { get; } =
        Meter.CreateCounter<long>("smtpcodec.client.messages.failed", unit: "{message}", description: "Messages no recipient received.");

    internal static Counter<long> RecipientsRejected { get; } =
        Meter.CreateCounter<long>("smtpcodec.client.recipients.rejected", unit: "{recipient}", description: "Recipients the message did not reach.");

    internal static Histogram<double> SendDuration { get; } =
        Meter.CreateHistogram<double>("smtpcodec.client.send.duration", unit: "s", description: "From MAIL FROM to the last end-of-data reply.");
}
