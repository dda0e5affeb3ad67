using System.Diagnostics;
using System.Threading.Tasks.Sources;

namespace SmtpCodec.Client;

/// <summary>
/// One submitted message and the completion its caller awaits: a pooled <see cref="IValueTaskSource{T}"/>,
/// so that a steady stream of messages allocates no task per message.
/// </summary>
internal sealed class DeliveryOperation : IValueTaskSource<SmtpDelivery>
{
    private const int Waiting = 0;
    private const int Taken = 1;
    private const int Cancelled = 2;

    private readonly SmtpSender _owner;
    private ManualResetValueTaskSourceCore<SmtpDelivery> _core;
    private CancellationTokenRegistration _registration;
    private int _state;

    // Two holders: the caller (until GetResult) and the queue (until a worker is done with the entry).
    // The operation goes back to the pool only when both have let go, so a pooled instance is never
    // reused while a stale queue entry still points at it (a message cancelled before it was sent).
    private int _holders;

    public DeliveryOperation(SmtpSender owner)
    {
        _owner = owner;
        _core.RunContinuationsAsynchronously = true;
    }

    public SmtpEnvelope Envelope { get; private set; } = null!;

    public ReadOnlyMemory<byte> Message { get; private set; }

    public short Version => _core.Version;

    /// <summary>How many times the message was tried so far.</summary>
    public int Attempts { get; set; }

    /// <summary>When a retry may start (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long RetryAt { get; set; }

    /// <summary>Whether a session limit (MAIL refused with 4xx) already sent it to a new connection once.</summary>
    public bool MetSessionLimit { get; set; }

    /// <summary>Its transaction on the pool's streamed path while the connection owes it replies; null otherwise.</summary>
    public SmtpTransaction? Transaction { get; set; }

    /// <summary>The span current where it was submitted (its span's parent); default when nobody records spans.</summary>
    public ActivityContext Parent { get; private set; }

    /// <summary>Its <c>smtp.send</c> span from its first attempt to its end; null when nobody records it.</summary>
    public Activity? Span { get; set; }

    /// <summary>When it entered the queue (a <see cref="Stopwatch"/> timestamp).</summary>
    public long EnqueuedAt { get; private set; }

    /// <summary>When a worker took it for its first attempt (a <see cref="Stopwatch"/> timestamp); 0 until then.</summary>
    public long StartedAt { get; set; }

    public void Prepare(SmtpEnvelope envelope, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        Envelope = envelope;
        Message = message;
        Attempts = 0;
        RetryAt = 0;
        Transaction = null;
        MetSessionLimit = false;
        Span = null;
        StartedAt = 0;
        EnqueuedAt = Stopwatch.GetTimestamp();

        // The submitter's span, kept as a value (no allocation): the worker that sends the message runs in no caller's context.
        Parent = SmtpTelemetry.ActivitySource.HasListeners() && Activity.Current is { } current ? current.Context : default;
        _state = Waiting;
        _holders = 2;
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static state => ((DeliveryOperation)state!).CancelIfWaiting(), this);
        }
    }

    /// <summary>A worker takes the message; false when the caller cancelled it first.</summary>
    public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Waiting) == Waiting;

    /// <summary>
    /// The message was refused before it entered the queue (the sender is stopped) and its caller gets an
    /// exception: a later cancellation must not end (and count) it, and both holds end here.
    /// </summary>
    public void Discard()
    {
        if (TryTake())
        {
            _registration.Dispose();
            Release();
            Release();
        }
    }

    public void Complete(SmtpDelivery delivery)
    {
        _registration.Dispose();
        _core.SetResult(delivery);
    }

    public SmtpDelivery GetResult(short token)
    {
        // A stale or premature read throws here, before letting go: only the caller's one real read releases its
        // hold, so a reused operation is never reset under the message that now owns it.
        SmtpDelivery delivery = _core.GetResult(token);
        Release();
        return delivery;
    }

    /// <summary>One holder lets go; the last one resets the operation and returns it to the pool.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
        {
            _core.Reset();
            Envelope = null!;
            Message = default;
            Transaction = null;
            Span = null;
            Parent = default;
            _registration = default;
            _owner.Return(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void CancelIfWaiting()
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Waiting) == Waiting)
        {
            // Counted before the caller can see it, as a worker counts the messages it ends.
            var cancelled = new SmtpDelivery(SmtpFailureReason.Cancelled, default, 0, "The caller cancelled the message before it was sent.");
            _owner.Count(cancelled);
            SmtpTelemetry.MessageEnded(null, _owner.Endpoint, startedAt: 0, nameof(SmtpFailureReason.Cancelled), replyCode: 0, attempts: 0, cancelled.Error);
            _core.SetResult(cancelled);
        }
    }
}
