using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace SmtpCodec.Client;

/// <summary>What becomes of each message: the general path, and every verdict carried out.</summary>
public sealed partial class SmtpSender
{
    private sealed partial class Worker
    {
        private List<FollowUp>? _followUps;

        /// <summary>The general path: one message through <see cref="SmtpConnection.SendAsync(SmtpEnvelope, ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        private async ValueTask SendOneAsync(SmtpConnection connection, DeliveryOperation operation)
        {
            operation.Attempts++;
            _sentOnConnection++;
            try
            {
                SmtpSendResult result = await connection.SendForPoolAsync(operation.Envelope, operation.Message).ConfigureAwait(false);
                Finish(operation, new SmtpDelivery(SmtpFailureReason.None, result.Reply, operation.Attempts, null)
                {
                    RefusedRecipients = result.DeliveredCount == result.Recipients.Count ? null : [.. result.Recipients.Where(r => !r.Delivered)],
                });
            }
            catch (Exception caught)
            {
                if (!connection.IsConnected || caught is not (SmtpException or ArgumentException))
                {
                    await CloseAsync(quit: false).ConfigureAwait(false);
                }

                Conclude(operation, caught, connection.LastSendProgress, tried: true);
            }
        }

        /// <summary>Settles a streamed message whose transaction the server ended with its replies.</summary>
        private void Settle(SmtpConnection connection, DeliveryOperation operation, bool behindFailure)
        {
            SmtpTransaction transaction = operation.Transaction!;
            operation.Transaction = null;
            DeliveryVerdict verdict = DeliveryPolicy.FromReplies(transaction, behindFailure);
            if (verdict != DeliveryVerdict.Accepted)
            {
                SmtpResponse failure = transaction.FirstFailure;
                SmtpPhase phase = transaction.FailurePhase;
                connection.Release(transaction);
                Apply(operation, verdict, failure, $"The server refused the message at {phase}: {failure}", behindFailure);
                return;
            }

            SmtpResponse final = transaction.Final;
            if (transaction.Accepted == transaction.RecipientCount)
            {
                connection.Release(transaction);
                Finish(operation, new SmtpDelivery(SmtpFailureReason.None, final, operation.Attempts, null));
                return;
            }

            // Some recipients refused; those deferred by 452 (too many recipients) go in a further transaction
            // through the general path once the stream is idle (RFC 5321 section 4.5.3.1.10).
            var refused = new List<SmtpRecipientResult>();
            List<string>? deferred = null;
            for (int i = 0; i < transaction.RecipientCount; i++)
            {
                string address = operation.Envelope.Recipients[i];
                if (transaction.IsDeferred(i))
                {
                    (deferred ??= []).Add(address);
                }
                else if (!transaction.RecipientReply(i).IsRecipientAccepted)
                {
                    refused.Add(transaction.ResultFor(i, address));
                }
            }

            connection.Release(transaction);
            if (deferred is null)
            {
                Finish(operation, new SmtpDelivery(SmtpFailureReason.None, final, operation.Attempts, null) { RefusedRecipients = refused });
                return;
            }

            (_followUps ??= []).Add(new FollowUp(operation, final, refused, deferred));
        }

        /// <summary>Concludes a streamed message whose connection failed, from how far its transaction got.</summary>
        private void ConcludeInFlight(DeliveryOperation? operation, Exception exception, bool tried)
        {
            if (operation is null)
            {
                return;
            }

            SendProgress progress = DeliveryPolicy.ProgressOf(operation.Transaction);
            operation.Transaction = null;
            Conclude(operation, exception, progress, tried);
        }

        /// <summary>Concludes a message whose send ended with an exception.</summary>
        private void Conclude(DeliveryOperation operation, Exception exception, SendProgress progress, bool tried)
        {
            DeliveryVerdict verdict = DeliveryPolicy.FromException(exception, progress, tried);
            string error = exception is SmtpException or ArgumentException ? exception.Message : AsSmtpException(exception, SmtpPhase.Other).Message;
            SmtpReplyException? replied = exception as SmtpReplyException ?? exception.InnerException as SmtpReplyException;
            Apply(operation, verdict, replied?.Reply ?? default, error);
        }

        /// <summary>Carries out a verdict other than Accepted.</summary>
        private void Apply(DeliveryOperation operation, DeliveryVerdict verdict, SmtpResponse reply, string error, bool behindFailure = false)
        {
            switch (verdict)
            {
                case DeliveryVerdict.Retry:
                case DeliveryVerdict.RetryNotCounted:
                    Retry(operation, reply, error, counted: verdict == DeliveryVerdict.Retry);
                    break;
                case DeliveryVerdict.SessionLimit:
                    ResendOnNewSession(operation, reply, error, behindFailure);
                    break;
                default:
                    SmtpFailureReason reason = verdict switch
                    {
                        DeliveryVerdict.Rejected => SmtpFailureReason.Rejected,
                        DeliveryVerdict.Invalid => SmtpFailureReason.Invalid,
                        DeliveryVerdict.OutcomeUnknown => SmtpFailureReason.OutcomeUnknown,
                        _ => SmtpFailureReason.ConnectionFailed,
                    };
                    Finish(operation, new SmtpDelivery(reason, reply, operation.Attempts, error));
                    break;
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
            sender.CountWaitingRetry(1);
            SmtpTelemetry.Retried(operation.Span, _endpoint, counted ? SmtpTelemetry.TransientFailure : SmtpTelemetry.BehindFailure, reply.Code, operation.Attempts);
        }

        /// <summary>
        /// A session limit: this session ends (QUIT once nothing is in flight) and the message goes first on the next
        /// one, with no delay. The first time costs no attempt, later ones do (a server that never takes it ends it),
        /// and a message refused only because it was sent ahead behind the first refusal of the session never pays.
        /// </summary>
        private void ResendOnNewSession(DeliveryOperation operation, SmtpResponse reply, string error, bool behindFailure)
        {
            _endSession = true;
            if (behindFailure)
            {
                // Sent ahead (a BDAT window) after the session had met its limit: not this message's doing.
                operation.Attempts--;
            }
            else if (!operation.MetSessionLimit)
            {
                operation.MetSessionLimit = true;
                operation.Attempts--;
            }

            if (operation.Attempts >= Options.MaxAttempts)
            {
                Finish(operation, new SmtpDelivery(SmtpFailureReason.TransientFailuresExhausted, reply, operation.Attempts, error));
                return;
            }

            _resend.Enqueue(operation);
            sender.CountWaitingRetry(1);
            SmtpTelemetry.Retried(operation.Span, _endpoint, SmtpTelemetry.SessionLimit, reply.Code, operation.Attempts);
        }

        /// <summary>A message's first attempt starts: its wait in the queue is measured and its span begins.</summary>
        private void Begin(DeliveryOperation operation)
        {
            if (operation.StartedAt != 0)
            {
                return;
            }

            long now = Stopwatch.GetTimestamp();
            operation.StartedAt = now;
            SmtpTelemetry.QueueWaited(_endpoint, operation.EnqueuedAt, now);
            operation.Span = SmtpTelemetry.StartSend(operation.Parent, _endpoint, operation.Envelope.Recipients.Count, operation.Message.Length, detach: true);
        }

        /// <summary>Every message a worker took ends here, once: counted, measured, completed.</summary>
        private void Finish(DeliveryOperation operation, SmtpDelivery delivery)
        {
            sender.Count(delivery);
            string? errorType = delivery.Accepted ? null : SmtpTelemetry.ErrorTypeOf(delivery.Reason);
            SmtpTelemetry.MessageEnded(operation.Span, _endpoint, operation.StartedAt, errorType, delivery.Reply.Code, delivery.Attempts, delivery.Error);
            SmtpTelemetry.RecipientsRefused(_endpoint, delivery.RefusedRecipients);
            operation.Span = null;
            operation.Complete(delivery);
            operation.Release();
        }

        /// <summary>
        /// Anything but an <see cref="SmtpException"/> out of a connection (a stream that throws what it should not)
        /// is treated as a failed connection, so that no message is ever left without an end.
        /// </summary>
        private static SmtpException AsSmtpException(Exception caught, SmtpPhase phase) =>
            caught as SmtpException ?? new SmtpProtocolException(phase, $"The connection failed: {caught.GetType().Name}: {caught.Message}", isTransient: true, caught);

        /// <summary>After a stream: recipients deferred by 452 get their further transactions (general path).</summary>
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        private async ValueTask RunFollowUpsAsync()
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
                    if (_endSession)
                    {
                        // The session met a limit: the further transaction goes on a new one.
                        _endSession = false;
                        await CloseAsync(quit: true).ConfigureAwait(false);
                    }

                    SmtpConnection connection = await EnsureConnectionAsync().ConfigureAwait(false);
                    SmtpSendResult result = await connection.SendForPoolAsync(operation.Envelope.WithRecipients(followUp.Deferred), operation.Message).ConfigureAwait(false);
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

        /// <summary>A message delivered to part of its recipients, the rest deferred by 452 to a further transaction.</summary>
        private sealed record FollowUp(DeliveryOperation Operation, SmtpResponse Reply, List<SmtpRecipientResult> Refused, List<string> Deferred);
    }
}
