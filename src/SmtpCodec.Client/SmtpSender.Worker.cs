using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SmtpCodec.Client;

/// <summary>The pool's workers: one per connection.</summary>
public sealed partial class SmtpSender
{
    /// <summary>
    /// One connection's worker: its loop and the connection's lifecycle (open, rotate, keep alive with NOOP,
    /// close) are here. A message takes the streamed path when it can (SmtpSender.Worker.Streams.cs: PIPELINING
    /// offered, one transaction, in memory): with DATA, its content, terminator and the next message's MAIL,
    /// RCPT and DATA leave in one write; with BDAT, whole messages go out ahead of their replies up to a
    /// window. Other messages (many recipients, very large ones, no PIPELINING) go through
    /// <see cref="SmtpConnection.SendAsync(SmtpEnvelope, ReadOnlyMemory{byte}, CancellationToken)"/>. What
    /// becomes of each message (accepted, refused, retried, unknown) is SmtpSender.Worker.Outcomes.cs's, by
    /// <see cref="DeliveryPolicy"/>. Temporary failures wait in a retry queue while other messages go on.
    /// </summary>
    private sealed partial class Worker(SmtpSender sender) : IDisposable
    {
        private readonly Queue<DeliveryOperation> _retries = new();

        // What the worker parks on while it has nothing to do (WaitForWorkAsync).
        private readonly WorkerSignal _signal = new();

        // Messages refused by a session limit: sent first on the next connection, with no delay.
        private readonly Queue<DeliveryOperation> _resend = new();

        // Set by a session limit: the connection says QUIT once nothing is in flight, and a new one opens.
        private bool _endSession;
        private readonly Queue<DeliveryOperation> _inFlight = new();
        private DeliveryOperation? _held;
        private SmtpConnection? _connection;
        private int _sentOnConnection;
        private long _openedAt;
        private long _reconnectAt;
        private int _connectFailures;

        // The server of the latest connection, for the telemetry of messages that end after it closed.
        private SmtpEndpoint _endpoint = sender.Endpoint;

        private SmtpSenderOptions Options => sender._options;

        /// <summary>The connection this worker holds, or null (read from other threads: a snapshot).</summary>
        public SmtpConnection? Connection => Volatile.Read(ref _connection);

        public async Task RunAsync()
        {
            // The worker began in the flow of whoever created the sender: no span of theirs is the parent of its
            // messages' spans (each has the one it was submitted under) or of its connections'.
            Activity.Current = null;
            try
            {
                while (await WaitForWorkAsync().ConfigureAwait(false))
                {
                    while (TryTakeNext(out DeliveryOperation? operation))
                    {
                        await sender.WaitForRateAsync().ConfigureAwait(false);
                        await ProcessAsync(operation).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                sender._parking.Remove(_signal);
                Dispose();
                await CloseAsync(quit: true).ConfigureAwait(false);
            }
        }

        /// <summary>Releases the worker's wake-up timer (at the end of <see cref="RunAsync"/>).</summary>
        public void Dispose() => _signal.Dispose();

        /// <summary>The next message: one held back for the general path, a retry that is due, or a new one.</summary>
        private bool TryTakeNext([NotNullWhen(true)] out DeliveryOperation? operation)
        {
            if (sender._shutdown.IsCancellationRequested)
            {
                FailWhatIsLeft();
                operation = null;
                return false;
            }

            if (_held is not null)
            {
                (operation, _held) = (_held, null);
                return true;
            }

            if (_resend.TryDequeue(out operation))
            {
                sender.CountWaitingRetry(-1);
                return true;
            }

            if (_retries.TryPeek(out DeliveryOperation? retry) && retry.RetryAt <= Stopwatch.GetTimestamp())
            {
                operation = _retries.Dequeue();
                sender.CountWaitingRetry(-1);
                return true;
            }

            while (sender._queue.Reader.TryRead(out operation))
            {
                if (operation.TryTake())
                {
                    return true;
                }

                // Cancelled by its caller while queued: the queue's hold ends here.
                operation.Release();
            }

            return false;
        }

        /// <summary>The sender stopped at its deadline: every message this worker holds or can take from the queue fails.</summary>
        private void FailWhatIsLeft()
        {
            if (_held is not null)
            {
                Finish(_held, Stopped(_held.Attempts));
                _held = null;
            }

            foreach (Queue<DeliveryOperation> waiting in (Queue<DeliveryOperation>[])[_resend, _retries])
            {
                while (waiting.TryDequeue(out DeliveryOperation? operation))
                {
                    Finish(operation, Stopped(operation.Attempts));
                }
            }

            while (sender._queue.Reader.TryRead(out DeliveryOperation? queued))
            {
                if (queued.TryTake())
                {
                    Finish(queued, Stopped(0));
                }
                else
                {
                    queued.Release();
                }
            }
        }

        /// <summary>Takes the next message for the stream, or holds it back when it needs the general path.</summary>
        private bool TryTakeStreamable(SmtpConnection connection, [NotNullWhen(true)] out DeliveryOperation? operation)
        {
            if (!MayContinue(connection) || !TryTakeNext(out operation))
            {
                operation = null;
                return false;
            }

            if (connection.CanStreamMessage(operation.Envelope, operation.Message.Length))
            {
                return true;
            }

            _held = operation;
            operation = null;
            return false;
        }

        /// <summary>Whether the stream may take another message on this connection (no rotation, no rate limit due).</summary>
        private bool MayContinue(SmtpConnection connection) =>
            connection.IsConnected && sender._ticksPerMessage == 0 && !_endSession && !RotationDue(connection);

        private bool RotationDue(SmtpConnection connection)
        {
            SmtpSenderOptions options = Options;
            return (options.MaxMessagesPerConnection > 0 && _sentOnConnection >= options.MaxMessagesPerConnection)
                || (options.MaxConnectionAge > TimeSpan.Zero && Stopwatch.GetElapsedTime(_openedAt) >= options.MaxConnectionAge)
                || connection.TransactionsExhausted;
        }

        /// <summary>
        /// Waits for a message or a due retry, parked (<see cref="WorkerParking"/>): a queued message wakes one parked
        /// worker, and the worker's own timer wakes it when a retry is due or, while its connection is idle, for a
        /// NOOP every <see cref="SmtpSenderOptions.IdleNoopInterval"/>. Nothing is allocated per wait. False when
        /// all is done (the queue completed and empty, no retry left).
        /// </summary>
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<bool> WaitForWorkAsync()
        {
            TimeSpan idle = Options.IdleNoopInterval;
            long noopAt = idle > TimeSpan.Zero ? After(Stopwatch.GetTimestamp(), idle) : long.MaxValue;
            while (true)
            {
                if (HasWork())
                {
                    return true;
                }

                if (AllDone())
                {
                    return false;
                }

                long now = Stopwatch.GetTimestamp();
                if (_connection is not null && noopAt <= now)
                {
                    await KeepAliveAsync().ConfigureAwait(false);
                    noopAt = After(Stopwatch.GetTimestamp(), idle);
                    continue;
                }

                long wakeAt = Math.Min(_retries.TryPeek(out DeliveryOperation? retry) ? retry.RetryAt : long.MaxValue, _connection is not null ? noopAt : long.MaxValue);
                ValueTask<bool> parked = _signal.Arm();
                sender._parking.Add(_signal);

                // A message queued before this worker was listed woke nobody: look once more. When someone woke
                // the signal meanwhile, the wait below returns at once.
                if (HasWork() || AllDone())
                {
                    if (_signal.Disarm())
                    {
                        sender._parking.Remove(_signal);
                        continue;
                    }
                }
                else if (wakeAt != long.MaxValue)
                {
                    _signal.WakeAfter(Stopwatch.GetElapsedTime(now, wakeAt));
                }

                await parked.ConfigureAwait(false);
                _signal.StopTimer();
                sender._parking.Remove(_signal);
            }
        }

        /// <summary>A message held or to resend, a retry due, one in the queue, or retries to fail at the stop deadline.</summary>
        private bool HasWork() =>
            _held is not null
            || _resend.Count > 0
            || (_retries.TryPeek(out DeliveryOperation? retry) && (retry.RetryAt <= Stopwatch.GetTimestamp() || sender._shutdown.IsCancellationRequested))
            || sender._queue.Reader.TryPeek(out _);

        /// <summary>The sender stopped taking messages, the queue is empty and this worker holds none.</summary>
        private bool AllDone() =>
            sender._queue.Reader.Completion.IsCompleted && _held is null && _resend.Count == 0 && _retries.Count == 0;

        /// <summary>An idle connection's NOOP; whatever it meets ends the connection, never the worker.</summary>
        private async ValueTask KeepAliveAsync()
        {
            try
            {
                await _connection!.NoopAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A reply, a timeout, a stream throwing what it should not: the next message opens a new connection.
                await CloseAsync(quit: false).ConfigureAwait(false);
            }
        }

        /// <summary>A <see cref="Stopwatch"/> timestamp <paramref name="span"/> after <paramref name="now"/>, saturating.</summary>
        private static long After(long now, TimeSpan span)
        {
            double ticks = span.TotalSeconds * Stopwatch.Frequency;
            return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        private async ValueTask ProcessAsync(DeliveryOperation operation)
        {
            Begin(operation);
            SmtpConnection connection;
            try
            {
                connection = await EnsureConnectionAsync().ConfigureAwait(false);
            }
            catch (Exception caught)
            {
                operation.Attempts++;
                Conclude(operation, AsSmtpException(caught, SmtpPhase.Connect), SendProgress.None, tried: true);
                return;
            }

            if (!connection.CanStreamMessage(operation.Envelope, operation.Message.Length))
            {
                await SendOneAsync(connection, operation).ConfigureAwait(false);
            }
            else if (connection.StreamsChunks)
            {
                await StreamChunksAsync(connection, operation).ConfigureAwait(false);
            }
            else
            {
                await StreamDataAsync(connection, operation).ConfigureAwait(false);
            }

            if (_endSession)
            {
                // A session limit was met: nothing is in flight now; the next message opens a new connection at once.
                _endSession = false;
                await CloseAsync(quit: true).ConfigureAwait(false);
            }
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<SmtpConnection> EnsureConnectionAsync()
        {
            if (_connection is not null && (!_connection.IsConnected || RotationDue(_connection)))
            {
                await CloseAsync(quit: true).ConfigureAwait(false);
            }

            if (_connection is null)
            {
                while (_connection is null && sender._opened.TryDequeue(out SmtpConnection? ready))
                {
                    if (ready.IsConnected)
                    {
                        _connection = ready;
                    }
                    else
                    {
                        await ready.DisposeAsync().ConfigureAwait(false);
                    }
                }

                if (_connection is null)
                {
                    // After temporary failures the next attempt waits, longer each time (ConnectionBreaker.ReconnectDelay),
                    // so that a server that is down does not see a burst of connects, each spending a message's attempts.
                    TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _reconnectAt);
                    if (wait > TimeSpan.Zero)
                    {
                        await sender.DelayAsync(wait).ConfigureAwait(false);
                    }

                    try
                    {
                        _connection = await sender.OpenConnectionAsync(sender._shutdown.Token).ConfigureAwait(false);
                        _connectFailures = 0;
                    }
                    catch (Exception caught) when (AsSmtpException(caught, SmtpPhase.Connect).IsTransient)
                    {
                        TimeSpan delay = ConnectionBreaker.ReconnectDelay(++_connectFailures, Options.RetryDelay, Options.MaxReconnectDelay > Options.RetryDelay ? Options.MaxReconnectDelay : Options.RetryDelay, Random.Shared.NextDouble());
                        _reconnectAt = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
                        throw;
                    }
                }

                _sentOnConnection = 0;
                _openedAt = Stopwatch.GetTimestamp();
                _endpoint = _connection.Endpoint;
            }

            return _connection;
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        private async ValueTask CloseAsync(bool quit)
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
                else
                {
                    // Closing after a failure: whatever is still unflushed (a half-written message, a BDAT LAST
                    // nobody flushed) must never reach the server on the way out.
                    connection.Abort();
                }
            }
            catch (Exception)
            {
                // A failing QUIT (a reply, a timeout, a stream throwing what it should not) changes nothing:
                // the connection is closed below either way, and the worker must outlive it.
            }
            finally
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
