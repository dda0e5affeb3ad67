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
public sealed class SmtpSender : IAsyncDisposable
{
    private const int StreamReadSize = 16 * 1024;

    private readonly SmtpSenderOptions _options;
    private readonly Channel<DeliveryOperation> _queue;
    private readonly ConcurrentQueue<DeliveryOperation> _pool = new();
    private readonly Task[] _workers;
    private readonly long _ticksPerMessage;
    private long _nextStart;
    private long _accepted;
    private long _failed;
    private long _connectionsOpened;

    /// <summary>Starts the pool; connections open on the first messages.</summary>
    /// <param name="options">Where to send and how.</param>
    public SmtpSender(SmtpSenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _queue = Channel.CreateBounded<DeliveryOperation>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = false,
            SingleReader = false,
        });
        _ticksPerMessage = options.MaxMessagesPerSecond > 0 ? (long)(Stopwatch.Frequency / options.MaxMessagesPerSecond) : 0;
        _workers = new Task[options.Connections];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = Task.Run(() => new Worker(this).RunAsync());
        }
    }

    /// <summary>Messages accepted so far.</summary>
    public long AcceptedCount => Interlocked.Read(ref _accepted);

    /// <summary>Messages failed so far (any reason).</summary>
    public long FailedCount => Interlocked.Read(ref _failed);

    /// <summary>Connections opened so far (reconnects included).</summary>
    public long ConnectionsOpened => Interlocked.Read(ref _connectionsOpened);

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

        return _queue.Writer.TryWrite(operation)
            ? new ValueTask<SmtpDelivery>(operation, version)
            : EnqueueSlowlyAsync(operation, version, cancellationToken);
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

    /// <summary>Stops taking messages, sends every queued one, says QUIT on every connection.</summary>
    /// <returns>A task that completes when every worker has ended.</returns>
    public async Task StopAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    /// <summary>The same as <see cref="StopAsync"/>.</summary>
    /// <returns>A task that completes when every worker has ended.</returns>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    internal void Return(DeliveryOperation operation) => _pool.Enqueue(operation);

    private DeliveryOperation Rent() => _pool.TryDequeue(out DeliveryOperation? pooled) ? pooled : new DeliveryOperation(this);

    private async ValueTask<SmtpDelivery> EnqueueSlowlyAsync(DeliveryOperation operation, short version, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(operation, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled while waiting for room: the operation has ended as cancelled and never entered the queue.
            operation.Release();
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("The sender is stopped and takes no more messages.");
        }

        return await new ValueTask<SmtpDelivery>(operation, version).ConfigureAwait(false);
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
            await Task.Delay(Stopwatch.GetElapsedTime(now, slot)).ConfigureAwait(false);
        }
    }

    private void Count(SmtpDelivery delivery) => Interlocked.Increment(ref delivery.Accepted ? ref _accepted : ref _failed);

    /// <summary>One connection's loop: take a message, deliver it (retrying where safe), keep the connection fresh.</summary>
    private sealed class Worker(SmtpSender sender)
    {
        private SmtpConnection? _connection;
        private int _sentOnConnection;
        private long _openedAt;

        public async Task RunAsync()
        {
            try
            {
                while (await WaitForWorkAsync().ConfigureAwait(false))
                {
                    while (sender._queue.Reader.TryRead(out DeliveryOperation? operation))
                    {
                        if (!operation.TryTake())
                        {
                            operation.Release();
                            continue;
                        }

                        await sender.WaitForRateAsync().ConfigureAwait(false);
                        SmtpDelivery delivery = await DeliverAsync(operation.Envelope, operation.Message).ConfigureAwait(false);
                        sender.Count(delivery);
                        operation.Complete(delivery);
                        operation.Release();
                    }
                }
            }
            finally
            {
                await CloseAsync(quit: true).ConfigureAwait(false);
            }
        }

        /// <summary>Waits for a message; an idle connection sends NOOP now and then. False when the queue is done.</summary>
        private async Task<bool> WaitForWorkAsync()
        {
            TimeSpan idle = sender._options.IdleNoopInterval;
            if (_connection is null || idle <= TimeSpan.Zero)
            {
                return await sender._queue.Reader.WaitToReadAsync().ConfigureAwait(false);
            }

            while (true)
            {
                ValueTask<bool> ready = sender._queue.Reader.WaitToReadAsync();
                if (ready.IsCompleted)
                {
                    return await ready.ConfigureAwait(false);
                }

                Task<bool> waiting = ready.AsTask();
                if (await Task.WhenAny(waiting, Task.Delay(idle)).ConfigureAwait(false) == waiting)
                {
                    return await waiting.ConfigureAwait(false);
                }

                try
                {
                    await _connection!.NoopAsync().ConfigureAwait(false);
                }
                catch (SmtpException)
                {
                    await CloseAsync(quit: false).ConfigureAwait(false);
                    return await waiting.ConfigureAwait(false);
                }
            }
        }

        private async Task<SmtpDelivery> DeliverAsync(SmtpEnvelope envelope, ReadOnlyMemory<byte> message)
        {
            SmtpSenderOptions options = sender._options;
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    SmtpConnection connection = await EnsureConnectionAsync().ConfigureAwait(false);
                    SmtpSendResult result = await connection.SendAsync(envelope, message).ConfigureAwait(false);
                    _sentOnConnection++;
                    return new SmtpDelivery(SmtpFailureReason.None, result.Reply, attempt, null);
                }
                catch (ArgumentException e)
                {
                    return new SmtpDelivery(SmtpFailureReason.Invalid, default, attempt, e.Message);
                }
                catch (SmtpException e)
                {
                    SmtpConnection.SendProgress progress = _connection?.LastSendProgress ?? SmtpConnection.SendProgress.None;
                    bool replied = e is SmtpReplyException;
                    if (_connection is { IsConnected: false })
                    {
                        await CloseAsync(quit: false).ConfigureAwait(false);
                    }

                    SmtpResponse reply = (e as SmtpReplyException)?.Reply ?? default;
                    if (progress == SmtpConnection.SendProgress.Delivered || (progress == SmtpConnection.SendProgress.EndOfDataWritten && !replied))
                    {
                        // The server may hold the message: sending it again could deliver it twice.
                        return new SmtpDelivery(SmtpFailureReason.OutcomeUnknown, reply, attempt, e.Message);
                    }

                    if (!e.IsTransient)
                    {
                        SmtpFailureReason reason = replied ? SmtpFailureReason.Rejected
                            : e.Phase is SmtpPhase.Mail or SmtpPhase.Rcpt or SmtpPhase.Data ? SmtpFailureReason.Invalid
                            : SmtpFailureReason.ConnectionFailed;
                        return new SmtpDelivery(reason, reply, attempt, e.Message);
                    }

                    if (attempt >= options.MaxAttempts)
                    {
                        return new SmtpDelivery(SmtpFailureReason.TransientFailuresExhausted, reply, attempt, e.Message);
                    }

                    await Task.Delay(options.RetryDelay).ConfigureAwait(false);
                }
            }
        }

        private async Task<SmtpConnection> EnsureConnectionAsync()
        {
            SmtpSenderOptions options = sender._options;
            if (_connection is not null)
            {
                bool tooMany = options.MaxMessagesPerConnection > 0 && _sentOnConnection >= options.MaxMessagesPerConnection;
                bool tooOld = options.MaxConnectionAge > TimeSpan.Zero && Stopwatch.GetElapsedTime(_openedAt) >= options.MaxConnectionAge;
                if (tooMany || tooOld || !_connection.IsConnected)
                {
                    await CloseAsync(quit: true).ConfigureAwait(false);
                }
            }

            if (_connection is null)
            {
                _connection = await SmtpConnection.ConnectAsync(options.Host, options.Port, options.Connection).ConfigureAwait(false);
                _sentOnConnection = 0;
                _openedAt = Stopwatch.GetTimestamp();
                Interlocked.Increment(ref sender._connectionsOpened);
            }

            return _connection;
        }

        private async Task CloseAsync(bool quit)
        {
            SmtpConnection? connection = _connection;
            _connection = null;
            if (connection is null)
            {
                return;
            }

            try
            {
                if (quit && connection.IsConnected)
                {
                    await connection.QuitAsync().ConfigureAwait(false);
                }
            }
            catch (SmtpException)
            {
                // A failing QUIT changes nothing: the connection is closed below either way.
            }
            finally
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
