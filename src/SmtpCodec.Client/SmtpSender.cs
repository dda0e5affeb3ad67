using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using CommunityToolkit.HighPerformance.Buffers;

namespace SmtpCodec.Client;

/// <summary>
/// A pool of connections fed from a bounded queue: submit messages with <see cref="SendAsync(SmtpEnvelope, ReadOnlyMemory{byte}, CancellationToken)"/>, and each
/// ends as accepted (with the server's reply) or failed (with the reason). None is lost, and none is sent
/// again once the server may have it: a connection lost after the end of data counts that message as
/// failed with <see cref="SmtpFailureReason.OutcomeUnknown"/>, never retried.
/// </summary>
public sealed partial class SmtpSender : IAsyncDisposable
{
    private const int StreamReadSize = 16 * 1024;

    private readonly SmtpSenderOptions _options;
    private readonly Channel<DeliveryOperation> _queue;
    private readonly ConcurrentQueue<DeliveryOperation> _pool = new();
    private readonly ConcurrentQueue<SmtpConnection> _opened = new();
    private readonly Task[] _workers;
    private readonly Worker[] _workerStates;
    private readonly WorkerParking _parking;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly long _ticksPerMessage;
    private readonly ConnectionBreaker _breaker;
    private long _nextStart;
    private long _accepted;
    private long _failed;
    private long _connectionsOpened;
    private long _waitingRetries;
    private ConnectionFailure? _lastConnectionFailure;

    /// <summary>Starts the pool; connections open on the first messages.</summary>
    /// <param name="options">Where to send and how.</param>
    public SmtpSender(SmtpSenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();

        // A copy, so that changing the caller's object later changes nothing here (the connection options are shared).
        _options = options with { };
        Endpoint = new SmtpEndpoint(options.Host, options.Port);
        _queue = Channel.CreateBounded<DeliveryOperation>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = false,
            SingleReader = false,
        });
        _breaker = new ConnectionBreaker(options.BreakerCoolDown);
        _ticksPerMessage = options.MaxMessagesPerSecond > 0 ? (long)(Stopwatch.Frequency / options.MaxMessagesPerSecond) : 0;
        _parking = new WorkerParking(options.Connections);
        _shutdown.Token.UnsafeRegister(static state => ((WorkerParking)state!).WakeAll(), _parking);
        _workers = new Task[options.Connections];
        _workerStates = new Worker[options.Connections];
        for (int i = 0; i < _workers.Length; i++)
        {
            Worker worker = _workerStates[i] = new Worker(this);
            _workers[i] = Task.Run(worker.RunAsync);
        }

        SmtpTelemetry.Register(this);
    }

    /// <summary>Messages accepted so far.</summary>
    public long AcceptedCount => Interlocked.Read(ref _accepted);

    /// <summary>Messages failed so far (any reason).</summary>
    public long FailedCount => Interlocked.Read(ref _failed);

    /// <summary>Connections opened so far (reconnects included).</summary>
    public long ConnectionsOpened => Interlocked.Read(ref _connectionsOpened);

    /// <summary>
    /// The permanent connection failure that stopped the pool from connecting (its breaker is open), or null while
    /// it connects normally. Messages fail at once with it until <see cref="SmtpSenderOptions.BreakerCoolDown"/>
    /// passes or <see cref="ResetBreaker"/> is called.
    /// </summary>
    public SmtpException? BreakerCause => _breaker.Cause;

    /// <summary>The server as telemetry names it before a connection says more: the options' host and port, when set.</summary>
    internal SmtpEndpoint Endpoint { get; }

    /// <summary>Messages waiting: in the queue (cancelled ones not yet dropped included) or for a retry.</summary>
    internal long QueuedCount => _queue.Reader.Count + Interlocked.Read(ref _waitingRetries);

    /// <summary>
    /// How many of the pool's connections are open now: those the workers hold and those opened ahead by
    /// <see cref="OpenConnectionsAsync"/> and not yet taken. A snapshot, for health checks and dashboards.
    /// </summary>
    public int OpenConnections
    {
        get
        {
            int open = 0;
            foreach (Worker worker in _workerStates)
            {
                if (worker.Connection is { IsConnected: true })
                {
                    open++;
                }
            }

            foreach (SmtpConnection connection in _opened)
            {
                if (connection.IsConnected)
                {
                    open++;
                }
            }

            return open;
        }
    }

    /// <summary>The latest failure to open a connection (transient or not), or null if none failed yet.</summary>
    public SmtpException? LastConnectionFailure => Volatile.Read(ref _lastConnectionFailure)?.Error;

    /// <summary>When <see cref="LastConnectionFailure"/> happened, or null.</summary>
    public DateTimeOffset? LastConnectionFailureTime => Volatile.Read(ref _lastConnectionFailure)?.Time;

    /// <summary>Lets the pool connect again at once after a permanent failure (new credentials, a fixed server).</summary>
    public void ResetBreaker() => _breaker.Reset();

    /// <summary>Submits a message; waits for room when the queue is full, then for the message's end.</summary>
    /// <param name="envelope">Sender, recipients and parameters.</param>
    /// <param name="message">The message; it must stay unchanged until the returned task completes.</param>
    /// <param name="cancellationToken">Cancels the message while it waits (once sent, it runs to its end).</param>
    /// <returns>The message's end: accepted, or failed with the reason.</returns>
    /// <exception cref="InvalidOperationException">The sender was stopped.</exception>
    public ValueTask<SmtpDelivery> SendAsync(SmtpEnvelope envelope, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        DeliveryOperation operation = Rent();
        short version = operation.Version;
        operation.Prepare(envelope, message, cancellationToken);
        if (cancellationToken.IsCancellationRequested)
        {
            // Already ended as cancelled: it never enters the queue.
            operation.Release();
            return new ValueTask<SmtpDelivery>(operation, version);
        }

        return TryQueue(operation)
            ? new ValueTask<SmtpDelivery>(operation, version)
            : EnqueueSlowlyAsync(operation, version, cancellationToken);
    }

    private async ValueTask<SmtpDelivery> EnqueueSlowlyAsync(DeliveryOperation operation, short version, CancellationToken cancellationToken)
    {
        SmtpQueuedMessage queued = await WaitForRoomAsync(operation, new SmtpQueuedMessage(new ValueTask<SmtpDelivery>(operation, version)), cancellationToken).ConfigureAwait(false);
        return await queued.Delivery.ConfigureAwait(false);
    }

    /// <summary>
    /// Queues a message and returns as soon as it is queued (waiting only for room when
    /// <see cref="SmtpSenderOptions.QueueCapacity"/> messages wait), with a handle to await its end. A producer
    /// loop awaiting this for each message is bounded by the queue: no semaphore of its own is needed.
    /// </summary>
    /// <param name="envelope">Sender, recipients and parameters.</param>
    /// <param name="message">The message; it must stay unchanged until its delivery completes.</param>
    /// <param name="cancellationToken">Cancels the message while it waits for room or in the queue (once sent, it runs to its end).</param>
    /// <returns>The queued message, whose <see cref="SmtpQueuedMessage.Delivery"/> completes with its end.</returns>
    /// <exception cref="InvalidOperationException">The sender was stopped.</exception>
    public ValueTask<SmtpQueuedMessage> EnqueueAsync(SmtpEnvelope envelope, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        DeliveryOperation operation = Rent();
        short version = operation.Version;
        operation.Prepare(envelope, message, cancellationToken);
        var queued = new SmtpQueuedMessage(new ValueTask<SmtpDelivery>(operation, version));
        if (cancellationToken.IsCancellationRequested)
        {
            // Already ended as cancelled: it never enters the queue.
            operation.Release();
            return new ValueTask<SmtpQueuedMessage>(queued);
        }

        return TryQueue(operation) ? new ValueTask<SmtpQueuedMessage>(queued) : WaitForRoomAsync(operation, queued, cancellationToken);
    }

    /// <summary>
    /// Submits a message read from a stream. The sender must hold it while it waits and for retries, so it
    /// is read whole into a pooled buffer (returned when the message ends); for a single message of any
    /// size with bounded memory, use <see cref="SmtpConnection.SendAsync(SmtpEnvelope, Stream, CancellationToken)"/>.
    /// </summary>
    /// <param name="envelope">Sender, recipients and parameters.</param>
    /// <param name="message">The message, read to its end before it is queued.</param>
    /// <param name="cancellationToken">Cancels the reading and the message while it waits.</param>
    /// <returns>The message's end: accepted, or failed with the reason.</returns>
    public async ValueTask<SmtpDelivery> SendAsync(SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var content = new ArrayPoolBufferWriter<byte>(StreamReadSize);
        while (true)
        {
            int read = await message.ReadAsync(content.GetMemory(StreamReadSize), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            content.Advance(read);
        }

        return await SendAsync(envelope, content.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens the pool's connections now rather than on the first messages (so that a measurement or a burst
    /// does not pay for greetings, TLS and AUTH); the workers take them as they start sending.
    /// </summary>
    /// <param name="cancellationToken">Cancels the opening.</param>
    /// <returns>A task that completes when every connection is open.</returns>
    /// <exception cref="SmtpException">A connection could not be opened.</exception>
    public async Task OpenConnectionsAsync(CancellationToken cancellationToken = default)
    {
        var opening = new Task<SmtpConnection>[_options.Connections];
        for (int i = 0; i < opening.Length; i++)
        {
            opening[i] = OpenConnectionAsync(cancellationToken);
        }

        try
        {
            await Task.WhenAll(opening).ConfigureAwait(false);
        }
        finally
        {
            foreach (Task<SmtpConnection> task in opening)
            {
                if (task.IsCompletedSuccessfully)
                {
                    _opened.Enqueue(task.Result);
                }
            }
        }
    }

    /// <summary>Stops taking messages, sends every queued one, says QUIT on every connection.</summary>
    /// <returns>A task that completes when every worker has ended.</returns>
    public Task StopAsync() => StopAsync(CancellationToken.None);

    /// <summary>
    /// Stops taking messages and sends every queued one until <paramref name="cancellationToken"/> fires (a host's
    /// shutdown timeout); then the connections are closed where they stand and every message not yet ended fails
    /// with <see cref="SmtpFailureReason.Cancelled"/> (one whose end of data was sent, with
    /// <see cref="SmtpFailureReason.OutcomeUnknown"/>). No message is dropped: each submitted one ends, accepted or
    /// failed, before the returned task completes.
    /// </summary>
    /// <param name="cancellationToken">Ends the draining: what is left fails instead of being sent.</param>
    /// <returns>A task that completes when every worker has ended; it does not throw when the token fires.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        _parking.WakeAll();
        Task all = Task.WhenAll(_workers);
        if (cancellationToken.CanBeCanceled)
        {
            await all.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!all.IsCompleted)
            {
                await _shutdown.CancelAsync().ConfigureAwait(false);

                // A worker may take a connection just after it was interrupted: interrupt again until all have ended.
                while (!all.IsCompleted)
                {
                    InterruptConnections();
                    await Task.WhenAny(all, Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None)).ConfigureAwait(false);
                }
            }
        }

        await all.ConfigureAwait(false);
        _stopped = true;
        await QuitUnusedAsync(cancellationToken).ConfigureAwait(false);
        SmtpTelemetry.Unregister(this);
    }

    private async Task<SmtpConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        if (_breaker.Cause is { } cause)
        {
            throw _breaker.Refusal(cause);
        }

        SmtpConnection connection;
        try
        {
            connection = _options.ConnectAsync is { } connect
                ? await connect(cancellationToken).ConfigureAwait(false)
                : await SmtpConnection.ConnectAsync(_options.Host, _options.Port, _options.Connection, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpException e) when (DeliveryPolicy.FromException(e, SendProgress.None, tried: true) == DeliveryVerdict.ConnectionFailed)
        {
            // A permanent failure to open a connection will fail the next one the same way: stop connecting.
            _breaker.Trip(e);
            NoteConnectionFailure(e, breakerOpened: true);
            throw;
        }
        catch (SmtpException e)
        {
            NoteConnectionFailure(e, breakerOpened: false);
            throw;
        }

        Interlocked.Increment(ref _connectionsOpened);
        NoteServer(connection);
        return connection;
    }

    /// <summary>The same as <see cref="StopAsync()"/>.</summary>
    /// <returns>A task that completes when every worker has ended.</returns>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private void NoteConnectionFailure(SmtpException error, bool breakerOpened)
    {
        Volatile.Write(ref _lastConnectionFailure, new ConnectionFailure(error, DateTimeOffset.UtcNow));
        _options.ConnectionFailed?.Invoke(new SmtpConnectionFailure(error, breakerOpened));
    }

    /// <summary>Closes every connection of the pool where it stands (<see cref="StopAsync(CancellationToken)"/>'s deadline).</summary>
    private void InterruptConnections()
    {
        foreach (Worker worker in _workerStates)
        {
            worker.Connection?.Interrupt();
        }

        foreach (SmtpConnection connection in _opened)
        {
            connection.Interrupt();
        }
    }

    /// <summary>A wait that ends early, without throwing, when the sender stops at its deadline.</summary>
    private async Task DelayAsync(TimeSpan delay) =>
        await Task.Delay(delay, _shutdown.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    /// <summary>The message a worker ends a message with when the sender stopped at its deadline before sending it.</summary>
    private static SmtpDelivery Stopped(int attempts) =>
        new(SmtpFailureReason.Cancelled, default, attempts, "The sender was stopped (its shutdown deadline passed) before the message could be sent.");

    private sealed record ConnectionFailure(SmtpException Error, DateTimeOffset Time);

    internal void Return(DeliveryOperation operation) => _pool.Enqueue(operation);

    private DeliveryOperation Rent() => _pool.TryDequeue(out DeliveryOperation? pooled) ? pooled : new DeliveryOperation(this);

    /// <summary>Queues a message if there is room, and wakes a parked worker for it.</summary>
    private bool TryQueue(DeliveryOperation operation)
    {
        if (!_queue.Writer.TryWrite(operation))
        {
            return false;
        }

        _parking.WakeOne();
        return true;
    }

    private async ValueTask<SmtpQueuedMessage> WaitForRoomAsync(DeliveryOperation operation, SmtpQueuedMessage queued, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(operation, cancellationToken).ConfigureAwait(false);
            _parking.WakeOne();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled while waiting for room: the operation has ended as cancelled and never entered the queue.
            operation.Release();
        }
        catch (ChannelClosedException)
        {
            operation.Discard();
            throw new InvalidOperationException("The sender is stopped and takes no more messages.");
        }

        return queued;
    }

    /// <summary>Spaces message starts across the pool when a rate limit is set.</summary>
    private async ValueTask WaitForRateAsync()
    {
        if (_ticksPerMessage == 0)
        {
            return;
        }

        long now = Stopwatch.GetTimestamp();
        long slot;
        long previous;
        do
        {
            previous = Interlocked.Read(ref _nextStart);
            slot = Math.Max(previous, now);
        }
        while (Interlocked.CompareExchange(ref _nextStart, slot + _ticksPerMessage, previous) != previous);

        if (slot > now)
        {
            await DelayAsync(Stopwatch.GetElapsedTime(now, slot)).ConfigureAwait(false);
        }
    }

    /// <summary>A message entered (1) or left (-1) a worker's retry or resend queue, for the queue gauge.</summary>
    internal void CountWaitingRetry(int change) => Interlocked.Add(ref _waitingRetries, change);

    internal void Count(SmtpDelivery delivery) => Interlocked.Increment(ref delivery.Accepted ? ref _accepted : ref _failed);
}
