using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace SmtpCodec.Client;

/// <summary>The pool's workers: one per connection.</summary>
public sealed partial class SmtpSender
{
    /// <summary>
    /// One connection's loop. A message first takes the streamed path when it can (PIPELINING offered, the
    /// message in one transaction): with DATA, its content, terminator and the next message's MAIL, RCPT and
    /// DATA leave in one write; with BDAT, whole messages go out ahead of their replies up to a window. Other
    /// messages (the first on a new connection, many recipients, very large ones) go through
    /// <see cref="SmtpConnection.SendAsync(SmtpEnvelope, ReadOnlyMemory{byte}, CancellationToken)"/>.
    /// Temporary failures wait in a retry queue while other messages go on.
    /// </summary>
    private sealed class Worker(SmtpSender sender)
    {
        private readonly Queue<DeliveryOperation> _retries = new();
        private readonly Queue<DeliveryOperation> _inFlight = new();
        private DeliveryOperation? _held;
        private SmtpConnection? _connection;
        private int _sentOnConnection;
        private long _openedAt;
        private long _reconnectAt;

        private SmtpSenderOptions Options => sender._options;

        public async Task RunAsync()
        {
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
                await CloseAsync(quit: true).ConfigureAwait(false);
            }
        }

        /// <summary>The next message: one held back for the general path, a retry that is due, or a new one.</summary>
        private bool TryTakeNext([NotNullWhen(true)] out DeliveryOperation? operation)
        {
            if (_held is not null)
            {
                (operation, _held) = (_held, null);
                return true;
            }

            if (_retries.TryPeek(out DeliveryOperation? retry) && retry.RetryAt <= Stopwatch.GetTimestamp())
            {
                operation = _retries.Dequeue();
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
            connection.IsConnected && sender._ticksPerMessage == 0 && !RotationDue(connection);

        private bool RotationDue(SmtpConnection connection)
        {
            SmtpSenderOptions options = Options;
            return (options.MaxMessagesPerConnection > 0 && _sentOnConnection >= options.MaxMessagesPerConnection)
                || (options.MaxConnectionAge > TimeSpan.Zero && Stopwatch.GetElapsedTime(_openedAt) >= options.MaxConnectionAge)
                || connection.TransactionsExhausted;
        }

        /// <summary>Waits for a message or a due retry; an idle connection sends NOOP now and then. False when all is done.</summary>
        private async Task<bool> WaitForWorkAsync()
        {
            ChannelReader<DeliveryOperation> reader = sender._queue.Reader;
            while (true)
            {
                if (_held is not null)
                {
                    return true;
                }

                if (_retries.TryPeek(out DeliveryOperation? retry))
                {
                    TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), retry.RetryAt);
                    if (wait <= TimeSpan.Zero)
                    {
                        return true;
                    }

                    // Only while a retry waits: a new message or the retry's time, whichever comes first.
                    Task<bool> next = reader.WaitToReadAsync().AsTask();
                    if (next.IsCompleted)
                    {
                        if (!await next.ConfigureAwait(false))
                        {
                            await Task.Delay(wait).ConfigureAwait(false);
                        }

                        return true;
                    }

                    await Task.WhenAny(next, Task.Delay(wait)).ConfigureAwait(false);
                    return true;
                }

                ValueTask<bool> ready = reader.WaitToReadAsync();
                TimeSpan idle = Options.IdleNoopInterval;
                if (ready.IsCompleted || _connection is null || idle <= TimeSpan.Zero)
                {
                    return await ready.ConfigureAwait(false);
                }

                // A NOOP every interval for as long as the connection stays idle, not only after the first one.
                Task<bool> waiting = ready.AsTask();
                while (_connection is not null && await Task.WhenAny(waiting, Task.Delay(idle)).ConfigureAwait(false) != waiting)
                {
                    try
                    {
                        await _connection.NoopAsync().ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        // Whatever the NOOP met (a reply, a timeout, a stream throwing what it should not) ends
                        // the connection, never the worker: the next message opens a new one.
                        await CloseAsync(quit: false).ConfigureAwait(false);
                    }
                }

                return await waiting.ConfigureAwait(false);
            }
        }

        private async Task ProcessAsync(DeliveryOperation operation)
        {
            SmtpConnection connection;
            try
            {
                connection = await EnsureConnectionAsync().ConfigureAwait(false);
            }
            catch (Exception caught)
            {
                SmtpException e = AsSmtpException(caught, SmtpPhase.Connect);
                operation.Attempts++;
                if (e.IsTransient)
                {
                    Retry(operation, default, e.Message);
                }
                else
                {
                    Finish(operation, new SmtpDelivery(SmtpFailureReason.ConnectionFailed, (e as SmtpReplyException)?.Reply ?? default, operation.Attempts, e.Message));
                }

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
        }

        /// <summary>The general path: one message through <see cref="SmtpConnection.SendAsync(SmtpEnvelope, ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
        private async Task SendOneAsync(SmtpConnection connection, DeliveryOperation operation)
        {
            operation.Attempts++;
            _sentOnConnection++;
            try
            {
                SmtpSendResult result = await connection.SendAsync(operation.Envelope, operation.Message).ConfigureAwait(false);
                Finish(operation, new SmtpDelivery(SmtpFailureReason.None, result.Reply, operation.Attempts, null)
                {
                    RefusedRecipients = result.DeliveredCount == result.Recipients.Count ? null : [.. result.Recipients.Where(r => !r.Delivered)],
                });
            }
            catch (ArgumentException e)
            {
                Finish(operation, new SmtpDelivery(SmtpFailureReason.Invalid, default, operation.Attempts, e.Message));
            }
            catch (Exception caught)
            {
                SmtpException e = AsSmtpException(caught, SmtpPhase.Other);
                SmtpConnection.SendProgress progress = connection.LastSendProgress;
                bool replied = e is SmtpReplyException;
                if (!connection.IsConnected || caught is not SmtpException)
                {
                    await CloseAsync(quit: false).ConfigureAwait(false);
                }

                SmtpResponse reply = (e as SmtpReplyException)?.Reply ?? default;
                if (progress == SmtpConnection.SendProgress.Delivered || (progress == SmtpConnection.SendProgress.EndOfDataWritten && !replied))
                {
                    // The server may hold the message: sending it again could deliver it twice.
                    Finish(operation, new SmtpDelivery(SmtpFailureReason.OutcomeUnknown, reply, operation.Attempts, e.Message));
                }
                else if (e.IsTransient)
                {
                    Retry(operation, reply, e.Message);
                }
                else
                {
                    SmtpFailureReason reason = replied ? SmtpFailureReason.Rejected
                        : e.Phase is SmtpPhase.Mail or SmtpPhase.Rcpt or SmtpPhase.Data ? SmtpFailureReason.Invalid
                        : SmtpFailureReason.ConnectionFailed;
                    Finish(operation, new SmtpDelivery(reason, reply, operation.Attempts, e.Message));
                }
            }
        }

        /// <summary>
        /// DATA back to back: one message's commands are in flight while the previous one's content goes out,
        /// so each message costs one round trip (its envelope replies arrive with the previous end-of-data reply).
        /// </summary>
        private async Task StreamDataAsync(SmtpConnection connection, DeliveryOperation first)
        {
            DeliveryOperation? current = null;
            DeliveryOperation? next = null;
            bool contentWritten = false;
            try
            {
                if (!TryWriteEnvelope(connection, first, chunking: false))
                {
                    return;
                }

                current = first;
                await connection.FlushAsync(SmtpPhase.Rcpt, CancellationToken.None).ConfigureAwait(false);
                while (current is not null)
                {
                    SmtpConnection.StreamedReplies replies = await connection.ReadStreamedRepliesAsync(current.Envelope.Recipients.Count, expectData: true, CancellationToken.None).ConfigureAwait(false);
                    if (replies.Open(expectData: true))
                    {
                        connection.WriteStreamedContent(current.Message);
                        contentWritten = true;
                        if (TryTakeStreamable(connection, out DeliveryOperation? following) && TryWriteEnvelope(connection, following, chunking: false))
                        {
                            next = following;
                        }

                        await connection.FlushAsync(SmtpPhase.DataBlock, CancellationToken.None).ConfigureAwait(false);
                        SmtpResponse final = await connection.ReadReplyAsync(SmtpPhase.EndOfData, CancellationToken.None).ConfigureAwait(false);
                        contentWritten = false;
                        Settle(connection, current, replies, final);
                    }
                    else
                    {
                        await AbandonAsync(connection, current, replies, afterDataAccepted: replies.Data.Code == 354).ConfigureAwait(false);
                    }

                    (current, next) = (next, null);
                    if (!connection.IsConnected)
                    {
                        // A 421 closed the session: the message whose commands went out after it was never taken.
                        if (current is not null)
                        {
                            Retry(current, default, "The server closed the session (421) before answering this message.", counted: false);
                            current = null;
                        }

                        await CloseAsync(quit: false).ConfigureAwait(false);
                        break;
                    }

                    if (current is null && TryTakeStreamable(connection, out DeliveryOperation? another) && TryWriteEnvelope(connection, another, chunking: false))
                    {
                        current = another;
                        await connection.FlushAsync(SmtpPhase.Rcpt, CancellationToken.None).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception caught)
            {
                SmtpException e = AsSmtpException(caught, SmtpPhase.DataBlock);
                await CloseAsync(quit: false).ConfigureAwait(false);
                if (current is not null)
                {
                    LostInFlight(current, contentWritten, e);
                }

                if (next is not null)
                {
                    // Its commands rode behind the failed message's content and were never answered: not an attempt.
                    Retry(next, default, e.Message, counted: false);
                }
            }

            await RunFollowUpsAsync().ConfigureAwait(false);
        }

        /// <summary>
        /// BDAT back to back: whole messages (commands and one BDAT LAST chunk each) go out ahead of their replies,
        /// up to <see cref="SmtpSenderOptions.ChunkingWindow"/> at a time; replies are matched in order.
        /// </summary>
        private async Task StreamChunksAsync(SmtpConnection connection, DeliveryOperation first)
        {
            int window = Options.ChunkingWindow;
            bool draining = false;
            try
            {
                if (!TryWriteEnvelope(connection, first, chunking: true))
                {
                    return;
                }

                _inFlight.Enqueue(first);
                while (true)
                {
                    while (!draining && _inFlight.Count < window && TryTakeStreamable(connection, out DeliveryOperation? operation))
                    {
                        if (TryWriteEnvelope(connection, operation, chunking: true))
                        {
                            _inFlight.Enqueue(operation);
                        }
                    }

                    if (_inFlight.Count == 0)
                    {
                        if (draining && connection.IsConnected)
                        {
                            // A transaction failed while others were in flight: start clean before going on.
                            connection.WriteStreamedAbandon(afterDataAccepted: false);
                            await connection.FlushAsync(SmtpPhase.Other, CancellationToken.None).ConfigureAwait(false);
                            SmtpResponse reset = await connection.ReadReplyAsync(SmtpPhase.Other, CancellationToken.None).ConfigureAwait(false);
                            draining = false;
                            if (reset.Code != 250 || !connection.IsConnected)
                            {
                                await CloseAsync(quit: false).ConfigureAwait(false);
                                break;
                            }

                            continue;
                        }

                        break;
                    }

                    await connection.FlushAsync(SmtpPhase.DataBlock, CancellationToken.None).ConfigureAwait(false);
                    DeliveryOperation oldest = _inFlight.Peek();
                    SmtpConnection.StreamedReplies replies = await connection.ReadStreamedRepliesAsync(oldest.Envelope.Recipients.Count, expectData: false, CancellationToken.None).ConfigureAwait(false);
                    if (replies.Closing)
                    {
                        // A 421 ends the session: nothing after it will be answered.
                        _inFlight.Dequeue();
                        Retry(oldest, replies.Refusal, Describe(SmtpPhase.Rcpt, replies.Refusal));
                        throw new SmtpReplyException(replies.FailurePhase, replies.Refusal, "The session");
                    }

                    SmtpResponse final = await connection.ReadReplyAsync(SmtpPhase.EndOfData, CancellationToken.None).ConfigureAwait(false);
                    _inFlight.Dequeue();
                    if (replies.Open(expectData: false))
                    {
                        Settle(connection, oldest, replies, final);
                        if (final.Code != 250)
                        {
                            draining = true;
                        }
                    }
                    else if (draining && replies.Mail.Code == 503)
                    {
                        // Sent behind a failed transaction the server still held: not this message's fault,
                        // so not one of its attempts either.
                        Retry(oldest, replies.Mail, Describe(SmtpPhase.Mail, replies.Mail), counted: false);
                    }
                    else
                    {
                        Refuse(oldest, replies);
                        draining = true;
                    }

                    if (!connection.IsConnected)
                    {
                        // A 421: the server answers nothing after it, so the messages behind it were not taken.
                        throw new SmtpReplyException(SmtpPhase.EndOfData, final, "The session");
                    }
                }
            }
            catch (Exception caught)
            {
                SmtpException e = AsSmtpException(caught, SmtpPhase.DataBlock);
                await CloseAsync(quit: false).ConfigureAwait(false);

                // Every message in flight had its BDAT LAST written: the server may have any of them.
                while (_inFlight.TryDequeue(out DeliveryOperation? lost))
                {
                    LostInFlight(lost, endOfDataWritten: true, e);
                }
            }

            await RunFollowUpsAsync().ConfigureAwait(false);
        }

        /// <summary>Writes a message's commands (and BDAT content); false when the message cannot be sent as given.</summary>
        private bool TryWriteEnvelope(SmtpConnection connection, DeliveryOperation operation, bool chunking)
        {
            operation.Attempts++;
            try
            {
                connection.WriteStreamedEnvelope(operation.Envelope, operation.Message, chunking);
                _sentOnConnection++;
                return true;
            }
            catch (ArgumentException e)
            {
                Finish(operation, new SmtpDelivery(SmtpFailureReason.Invalid, default, operation.Attempts, e.Message));
            }
            catch (SmtpException e) when (connection.IsConnected)
            {
                Finish(operation, new SmtpDelivery(SmtpFailureReason.Invalid, default, operation.Attempts, e.Message));
            }
            catch (Exception caught)
            {
                // Anything else (a transcript callback throwing, content changing under the BDAT writer) may leave
                // part of this message in the pipe: the stream's handler closes the connection on the rethrow,
                // and the message ends here, as it is in nobody's hands yet. With BDAT its LAST chunk may be out.
                LostInFlight(operation, endOfDataWritten: chunking, AsSmtpException(caught, SmtpPhase.Mail));
                throw;
            }

            return false;
        }

        /// <summary>Settles a message whose transaction reached its end-of-data reply.</summary>
        private void Settle(SmtpConnection connection, DeliveryOperation operation, in SmtpConnection.StreamedReplies replies, SmtpResponse final)
        {
            int recipients = operation.Envelope.Recipients.Count;
            bool delivered = final.Code == 250;
            SmtpConnection.CountStreamed(delivered, delivered ? recipients - replies.Accepted : 0);
            if (!delivered)
            {
                Fail(operation, final, Describe(SmtpPhase.EndOfData, final));
                return;
            }

            if (replies.Accepted == recipients)
            {
                Finish(operation, new SmtpDelivery(SmtpFailureReason.None, final, operation.Attempts, null));
                return;
            }

            // Some recipients refused; those refused with 452 (too many recipients) go in a further
            // transaction through the general path once the stream is idle (RFC 5321 section 4.5.3.1.10).
            var refused = new List<SmtpRecipientResult>();
            var deferred = new List<string>();
            for (int i = 0; i < recipients; i++)
            {
                SmtpResponse reply = connection.StreamedRecipientReply(i);
                if (reply.Code == 452)
                {
                    deferred.Add(operation.Envelope.Recipients[i]);
                }
                else if (reply.Code is not (250 or 251))
                {
                    refused.Add(new SmtpRecipientResult(operation.Envelope.Recipients[i], reply, Delivered: false));
                }
            }

            if (deferred.Count == 0)
            {
                Finish(operation, new SmtpDelivery(SmtpFailureReason.None, final, operation.Attempts, null) { RefusedRecipients = refused });
                return;
            }

            (_followUps ??= []).Add(new FollowUp(operation, final, refused, deferred));
        }

        /// <summary>Ends a transaction refused before its content; it is over on the server once RSET is answered.</summary>
        private async Task AbandonAsync(SmtpConnection connection, DeliveryOperation operation, SmtpConnection.StreamedReplies replies, bool afterDataAccepted)
        {
            if (replies.Closing)
            {
                Retry(operation, replies.Refusal, Describe(replies.FailurePhase, replies.Refusal));
                await CloseAsync(quit: false).ConfigureAwait(false);
                return;
            }

            connection.WriteStreamedAbandon(afterDataAccepted);
            await connection.FlushAsync(SmtpPhase.Other, CancellationToken.None).ConfigureAwait(false);
            if (afterDataAccepted)
            {
                await connection.ReadReplyAsync(SmtpPhase.EndOfData, CancellationToken.None).ConfigureAwait(false);
            }

            SmtpResponse reset = await connection.ReadReplyAsync(SmtpPhase.Other, CancellationToken.None).ConfigureAwait(false);
            Refuse(operation, replies);
            if (reset.Code != 250)
            {
                await CloseAsync(quit: false).ConfigureAwait(false);
            }
        }

        private void Refuse(DeliveryOperation operation, in SmtpConnection.StreamedReplies replies)
        {
            SmtpConnection.CountStreamed(delivered: false, 0);
            SmtpResponse failure = replies.FirstFailure;
            bool tooManyRecipients = replies.Deferred > 0 && replies.Accepted == 0 && replies.Mail.Code == 250;
            Fail(operation, failure, Describe(replies.FailurePhase, failure), transient: tooManyRecipients);
        }

        /// <summary>A refusal: 4xx is retried while attempts last, 5xx is final.</summary>
        private void Fail(DeliveryOperation operation, SmtpResponse reply, string error, bool transient = false)
        {
            if (transient || reply.Code / 100 == 4)
            {
                Retry(operation, reply, error);
            }
            else
            {
                Finish(operation, new SmtpDelivery(SmtpFailureReason.Rejected, reply, operation.Attempts, error));
            }
        }

        /// <summary>A message whose connection failed: outcome unknown once its end of data was written, else retried.</summary>
        private void LostInFlight(DeliveryOperation operation, bool endOfDataWritten, SmtpException e)
        {
            SmtpResponse reply = (e as SmtpReplyException)?.Reply ?? default;
            if (endOfDataWritten && e is not SmtpReplyException)
            {
                Finish(operation, new SmtpDelivery(SmtpFailureReason.OutcomeUnknown, reply, operation.Attempts, e.Message));
            }
            else
            {
                // Behind a 421 the server answered nothing: the message was not tried, so the attempt does not count.
                Retry(operation, reply, e.Message, counted: e is not SmtpReplyException);
            }
        }

        /// <summary>Queues a message for another attempt after the retry delay, or ends it when attempts are used up.</summary>
        private void Retry(DeliveryOperation operation, SmtpResponse reply, string error, bool counted = true)
        {
            if (!counted)
            {
                operation.Attempts--;
            }

            if (operation.Attempts >= Options.MaxAttempts)
            {
                Finish(operation, new SmtpDelivery(SmtpFailureReason.TransientFailuresExhausted, reply, operation.Attempts, error));
                return;
            }

            operation.RetryAt = Stopwatch.GetTimestamp() + (long)(Options.RetryDelay.TotalSeconds * Stopwatch.Frequency);
            _retries.Enqueue(operation);
        }

        /// <summary>
        /// Anything but an <see cref="SmtpException"/> out of a connection (a stream that throws what it should not)
        /// is treated as a failed connection, so that no message is ever left without an end.
        /// </summary>
        private static SmtpException AsSmtpException(Exception caught, SmtpPhase phase) =>
            caught as SmtpException ?? new SmtpProtocolException(phase, $"The connection failed: {caught.GetType().Name}: {caught.Message}", isTransient: true, caught);

        private static string Describe(SmtpPhase phase, SmtpResponse reply) => $"The server refused the message at {phase}: {reply}";

        private void Finish(DeliveryOperation operation, SmtpDelivery delivery)
        {
            sender.Count(delivery);
            operation.Complete(delivery);
            operation.Release();
        }

        private List<FollowUp>? _followUps;

        /// <summary>After a stream: recipients deferred by 452 get their further transactions (general path).</summary>
        private async Task RunFollowUpsAsync()
        {
            if (_followUps is not { Count: > 0 } followUps)
            {
                return;
            }

            FollowUp[] pending = [.. followUps];
            followUps.Clear();
            foreach (FollowUp followUp in pending)
            {
                DeliveryOperation operation = followUp.Operation;
                try
                {
                    SmtpConnection connection = await EnsureConnectionAsync().ConfigureAwait(false);
                    var envelope = new SmtpEnvelope(operation.Envelope.From, followUp.Deferred)
                    {
                        Body = operation.Envelope.Body,
                        Return = operation.Envelope.Return,
                        EnvelopeId = operation.Envelope.EnvelopeId,
                        Notify = operation.Envelope.Notify,
                        RequireTls = operation.Envelope.RequireTls,
                        Priority = operation.Envelope.Priority,
                    };
                    SmtpSendResult result = await connection.SendAsync(envelope, operation.Message).ConfigureAwait(false);
                    followUp.Refused.AddRange(result.Recipients.Where(r => !r.Delivered));
                }
                catch (Exception e)
                {
                    // The message is delivered to the first transaction's recipients: the rest are reported refused.
                    // Anything but a refusal or a bad address (a stream throwing what it should not) ends the
                    // connection, never the worker, so that this message and those after it still end.
                    SmtpResponse reply = (e as SmtpReplyException)?.Reply ?? default;
                    followUp.Refused.AddRange(followUp.Deferred.Select(r => new SmtpRecipientResult(r, reply, Delivered: false)));
                    if (_connection is { IsConnected: false } || e is not (SmtpException or ArgumentException))
                    {
                        await CloseAsync(quit: false).ConfigureAwait(false);
                    }
                }

                Finish(operation, new SmtpDelivery(SmtpFailureReason.None, followUp.Reply, operation.Attempts, null)
                {
                    RefusedRecipients = followUp.Refused.Count == 0 ? null : followUp.Refused,
                });
            }
        }

        private async Task<SmtpConnection> EnsureConnectionAsync()
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
                    // After a temporary failure the next attempt waits RetryDelay, so that a server that is down
                    // does not see a burst of connects, each spending one queued message's attempts.
                    TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _reconnectAt);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait).ConfigureAwait(false);
                    }

                    try
                    {
                        _connection = await sender.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception caught) when (AsSmtpException(caught, SmtpPhase.Connect).IsTransient)
                    {
                        _reconnectAt = Stopwatch.GetTimestamp() + (long)(Options.RetryDelay.TotalSeconds * Stopwatch.Frequency);
                        throw;
                    }
                }

                _sentOnConnection = 0;
                _openedAt = Stopwatch.GetTimestamp();
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

        /// <summary>A message delivered to part of its recipients, the rest deferred by 452 to a further transaction.</summary>
        private sealed record FollowUp(DeliveryOperation Operation, SmtpResponse Reply, List<SmtpRecipientResult> Refused, List<string> Deferred);
    }
}
