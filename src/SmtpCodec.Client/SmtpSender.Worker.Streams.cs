using System.Runtime.CompilerServices;

namespace SmtpCodec.Client;

/// <summary>The pool's streamed paths: messages back to back on one connection.</summary>
public sealed partial class SmtpSender
{
    private sealed partial class Worker
    {
        /// <summary>
        /// DATA back to back: one message's commands are in flight while the previous one's content goes out,
        /// so each message costs one round trip (its envelope replies arrive with the previous end-of-data reply).
        /// </summary>
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        private async ValueTask StreamDataAsync(SmtpConnection connection, DeliveryOperation first)
        {
            DeliveryOperation? current = null;
            DeliveryOperation? next = null;
            try
            {
                if (!TryWriteEnvelope(connection, first))
                {
                    return;
                }

                current = first;
                await connection.FlushAsync(SmtpPhase.Rcpt, CancellationToken.None).ConfigureAwait(false);
                while (current is not null)
                {
                    SmtpTransaction transaction = current.Transaction!;
                    await connection.ReadRepliesAsync(transaction, CancellationToken.None).ConfigureAwait(false);
                    if (transaction.IsOpen)
                    {
                        await connection.WriteDataContentAsync(transaction, new MessageContent(current.Message), CancellationToken.None).ConfigureAwait(false);
                        if (TryTakeStreamable(connection, out DeliveryOperation? following) && TryWriteEnvelope(connection, following))
                        {
                            next = following;
                        }

                        await connection.FlushAsync(SmtpPhase.DataBlock, CancellationToken.None).ConfigureAwait(false);
                        await connection.ReadRepliesAsync(transaction, CancellationToken.None).ConfigureAwait(false);
                    }
                    else
                    {
                        await connection.AbandonAsync(transaction, CancellationToken.None).ConfigureAwait(false);
                    }

                    Settle(connection, current, behindFailure: false);
                    (current, next) = (next, null);
                    if (!connection.IsConnected)
                    {
                        // RSET was refused and the connection closed: whatever was written behind it is not answered.
                        await CloseAsync(quit: false).ConfigureAwait(false);
                        ConcludeInFlight(current, new SmtpException(SmtpPhase.Other, "The server refused RSET; the connection was closed.", isTransient: true), tried: false);
                        break;
                    }

                    if (current is null && TryTakeStreamable(connection, out DeliveryOperation? another) && TryWriteEnvelope(connection, another))
                    {
                        current = another;
                        await connection.FlushAsync(SmtpPhase.Rcpt, CancellationToken.None).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception caught)
            {
                // The message being answered was tried; the one whose commands rode behind it was not.
                await CloseAsync(quit: false).ConfigureAwait(false);
                ConcludeInFlight(current, caught, tried: true);
                ConcludeInFlight(next, caught, tried: false);
            }

            await RunFollowUpsAsync().ConfigureAwait(false);
        }

        /// <summary>
        /// BDAT back to back: whole messages (commands and one BDAT LAST chunk each) go out ahead of their replies,
        /// up to <see cref="SmtpSenderOptions.ChunkingWindow"/> at a time; replies are matched in order.
        /// </summary>
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        private async ValueTask StreamChunksAsync(SmtpConnection connection, DeliveryOperation first)
        {
            int window = Options.ChunkingWindow;
            bool draining = false;
            try
            {
                if (!await TryWriteMessageAsync(connection, first).ConfigureAwait(false))
                {
                    return;
                }

                while (true)
                {
                    while (!draining && _inFlight.Count < window && TryTakeStreamable(connection, out DeliveryOperation? operation))
                    {
                        await TryWriteMessageAsync(connection, operation).ConfigureAwait(false);
                    }

                    if (_inFlight.Count == 0)
                    {
                        if (draining && connection.IsConnected)
                        {
                            // A transaction failed while others were in flight: start clean before going on.
                            await connection.AbandonAsync(null, CancellationToken.None).ConfigureAwait(false);
                            draining = false;
                            if (connection.IsConnected)
                            {
                                continue;
                            }

                            await CloseAsync(quit: false).ConfigureAwait(false);
                        }

                        break;
                    }

                    await connection.FlushAsync(SmtpPhase.DataBlock, CancellationToken.None).ConfigureAwait(false);
                    DeliveryOperation oldest = _inFlight.Peek();
                    await connection.ReadRepliesAsync(oldest.Transaction!, CancellationToken.None).ConfigureAwait(false);
                    _inFlight.Dequeue();
                    bool behindFailure = draining;
                    draining |= !oldest.Transaction!.Delivered;
                    Settle(connection, oldest, behindFailure);
                }
            }
            catch (Exception caught)
            {
                await CloseAsync(quit: false).ConfigureAwait(false);

                // The oldest was being answered; the rest were queued behind it (with their BDAT LAST written).
                bool tried = true;
                while (_inFlight.TryDequeue(out DeliveryOperation? lost))
                {
                    ConcludeInFlight(lost, caught, tried);
                    tried = false;
                }
            }

            await RunFollowUpsAsync().ConfigureAwait(false);
        }

        /// <summary>With BDAT: a message's commands and its content as one BDAT LAST chunk, in flight once written.</summary>
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<bool> TryWriteMessageAsync(SmtpConnection connection, DeliveryOperation operation)
        {
            if (!TryWriteEnvelope(connection, operation))
            {
                return false;
            }

            _inFlight.Enqueue(operation);
            await connection.WriteChunksAsync(operation.Transaction!, new MessageContent(operation.Message), streamed: true, CancellationToken.None).ConfigureAwait(false);
            return true;
        }

        /// <summary>Writes a message's commands; false when the message cannot be sent as given (it has ended).</summary>
        private bool TryWriteEnvelope(SmtpConnection connection, DeliveryOperation operation)
        {
            Begin(operation);
            operation.Attempts++;
            try
            {
                operation.Transaction = connection.WriteStreamedEnvelope(operation.Envelope, new MessageContent(operation.Message));
                _sentOnConnection++;
                return true;
            }
            catch (Exception e) when (e is ArgumentException || (e is SmtpException && connection.IsConnected))
            {
                // A bad address, a missing extension, a SIZE limit: nothing of it reached the pipe.
                Finish(operation, new SmtpDelivery(SmtpFailureReason.Invalid, default, operation.Attempts, e.Message));
                return false;
            }
            catch (Exception caught)
            {
                // Anything else (a transcript callback throwing) ends the connection through the caller's handler;
                // nothing was flushed, and the message, in nobody's hands yet, is concluded here.
                Conclude(operation, AsSmtpException(caught, SmtpPhase.Mail), SendProgress.None, tried: true);
                throw;
            }
        }
    }
}
