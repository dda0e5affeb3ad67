namespace SmtpCodec.Client;

/// <summary>A message <see cref="SmtpSender.EnqueueAsync"/> has queued: await <see cref="Delivery"/> (once) for its end.</summary>
public readonly struct SmtpQueuedMessage
{
    internal SmtpQueuedMessage(ValueTask<SmtpDelivery> delivery) => Delivery = delivery;

    /// <summary>Completes with the message's end: accepted, or failed with the reason. Await it once.</summary>
    public ValueTask<SmtpDelivery> Delivery { get; }
}
