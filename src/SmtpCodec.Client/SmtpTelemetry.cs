using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Authentication;

namespace SmtpCodec.Client;

/// <summary>
/// Observability without dependencies: the <see cref="Meter"/> and <see cref="ActivitySource"/> named
/// <see cref="Name"/>. Recording costs nothing while nobody listens: every tag list is built only when an
/// instrument is enabled or a span is recorded. The README's "Telemetry" section lists every instrument,
/// span and attribute; docs/architecture.md says where each is taken.
/// </summary>
public static class SmtpTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "SmtpCodec.Client";

    internal const string ServerAddress = "server.address";
    internal const string ServerPort = "server.port";
    internal const string ErrorType = "error.type";
    internal const string StatusCode = "smtp.response.status_code";
    internal const string RecipientCount = "smtp.message.recipient_count";
    internal const string MessageSize = "smtp.message.size";
    internal const string Attempts = "smtp.message.attempts";
    internal const string Attempt = "smtp.message.attempt";
    internal const string Phase = "smtp.phase";
    internal const string SendSpan = "smtp.send";
    internal const string ConnectSpan = "smtp.connect";
    internal const string RetryEvent = "smtp.retry";

    /// <summary>error.type of a retry: a temporary refusal or failure of this message (the attempt counts).</summary>
    internal const string TransientFailure = "TransientFailure";

    /// <summary>error.type of a retry: the message was queued behind another one's failure and never answered.</summary>
    internal const string BehindFailure = "BehindFailure";

    /// <summary>error.type of a retry: MAIL refused with 4xx, a limit of the session; the message goes on a new connection.</summary>
    internal const string SessionLimit = "SessionLimit";

    // Reply codes (and small counts) as tag values, boxed once each: a listener attached to the meter costs no allocation per message.
    private static readonly object?[] Codes = new object?[600];

    // Live senders for the queue gauge, held weakly: a sender nobody stopped can still be collected.
    private static readonly List<WeakReference<SmtpSender>> Senders = [];

    /// <summary>Spans: <c>smtp.connect</c> (greeting, EHLO, STARTTLS, AUTH) and <c>smtp.send</c> (one message).</summary>
    public static ActivitySource ActivitySource { get; } = new(Name);

    internal static Meter Meter { get; } = new(Name);

    internal static Counter<long> ConnectionsOpened { get; } =
        Meter.CreateCounter<long>("smtpcodec.client.connections.opened", unit: "{connection}", description: "Connections that reached the ready state.");

    internal static Counter<long> ConnectionsFailed { get; } =
        Meter.CreateCounter<long>("smtpcodec.client.connections.failed", unit: "{connection}", description: "Connections that could not be opened (TCP, TLS, greeting, EHLO or AUTH failed).");

    internal static Counter<long> MessagesDelivered { get; } =
        Meter.CreateCounter<long>("smtpcodec.client.messages.delivered", unit: "{message}", description: "Messages the server accepted for at least one recipient.");

    internal static Counter<long> MessagesFailed { get; } =
        Meter.CreateCounter<long>("smtpcodec.client.messages.failed", unit: "{message}", description: "Messages no recipient received (or that may have been delivered: error.type OutcomeUnknown).");

    internal static Counter<long> MessagesOutcomeUnknown { get; } =
        Meter.CreateCounter<long>("smtpcodec.client.messages.outcome_unknown", unit: "{message}", description: "Messages whose end of data was written and never answered: the server may have them, so they are not sent again.");

    internal static Counter<long> RecipientsRejected { get; } =
        Meter.CreateCounter<long>("smtpcodec.client.recipients.rejected", unit: "{recipient}", description: "Recipients refused while the message went to the others.");

    internal static Counter<long> Retries { get; } =
        Meter.CreateCounter<long>("smtpcodec.client.retries", unit: "{retry}", description: "Messages queued by the pool for another attempt.");

    internal static Histogram<double> SendDuration { get; } =
        Meter.CreateHistogram<double>("smtpcodec.client.send.duration", unit: "s", description: "One message, from the start of its first transaction to its outcome (retries included).");

    internal static Histogram<double> QueueWaitTime { get; } =
        Meter.CreateHistogram<double>("smtpcodec.client.queue.wait_time", unit: "s", description: "How long a message waited in the pool's queue before a connection took it.");

    internal static ObservableUpDownCounter<long> QueuedMessages { get; } =
        Meter.CreateObservableUpDownCounter("smtpcodec.client.queued_messages", ObserveQueues, unit: "{message}", description: "Messages waiting in a pool: submitted and not yet taken by a connection, or waiting for a retry.");

    /// <summary>The error.type of a message that ended without delivery: its <see cref="SmtpFailureReason"/> name.</summary>
    internal static string ErrorTypeOf(SmtpFailureReason reason) => reason switch
    {
        SmtpFailureReason.Rejected => nameof(SmtpFailureReason.Rejected),
        SmtpFailureReason.TransientFailuresExhausted => nameof(SmtpFailureReason.TransientFailuresExhausted),
        SmtpFailureReason.OutcomeUnknown => nameof(SmtpFailureReason.OutcomeUnknown),
        SmtpFailureReason.Invalid => nameof(SmtpFailureReason.Invalid),
        SmtpFailureReason.Cancelled => nameof(SmtpFailureReason.Cancelled),
        SmtpFailureReason.ConnectionFailed => nameof(SmtpFailureReason.ConnectionFailed),
        _ => "_OTHER",
    };

    /// <summary>
    /// The error.type of a failed <see cref="SmtpConnection"/> send, by the verdict the pool would reach: a temporary
    /// failure (which the pool would retry) is <c>TransientFailure</c>.
    /// </summary>
    internal static string ErrorTypeOf(DeliveryVerdict verdict, Exception exception) => exception is OperationCanceledException
        ? nameof(SmtpFailureReason.Cancelled)
        : verdict switch
        {
            DeliveryVerdict.Rejected => nameof(SmtpFailureReason.Rejected),
            DeliveryVerdict.Invalid => nameof(SmtpFailureReason.Invalid),
            DeliveryVerdict.OutcomeUnknown => nameof(SmtpFailureReason.OutcomeUnknown),
            DeliveryVerdict.ConnectionFailed => nameof(SmtpFailureReason.ConnectionFailed),
            _ => TransientFailure,
        };

    /// <summary>
    /// Starts a message's <c>smtp.send</c> span, or returns null when nobody records it. With <paramref name="detach"/>
    /// the span does not become <see cref="Activity.Current"/>: a pool's worker has several messages in flight.
    /// </summary>
    internal static Activity? StartSend(ActivityContext parent, in SmtpEndpoint endpoint, int recipients, long size, bool detach)
    {
        if (!ActivitySource.HasListeners())
        {
            return null;
        }

        Activity? previous = Activity.Current;
        Activity? span = ActivitySource.StartActivity(SendSpan, ActivityKind.Client, parent);
        if (span is null)
        {
            return null;
        }

        if (detach)
        {
            Activity.Current = previous;
        }

        if (span.IsAllDataRequested)
        {
            SetEndpoint(span, endpoint);
            span.SetTag(RecipientCount, Code(recipients));
            if (size >= 0)
            {
                span.SetTag(MessageSize, size);
            }
        }

        return span;
    }

    /// <summary>A message's end: its span stopped with the outcome, the counters, and its duration.</summary>
    /// <param name="span">The message's span, or null.</param>
    /// <param name="endpoint">The server.</param>
    /// <param name="startedAt">When its first transaction started (a <see cref="Stopwatch"/> timestamp), or 0 when none did.</param>
    /// <param name="errorType">Null when delivered, else why not.</param>
    /// <param name="replyCode">The reply that decided it (the end of data's, or the refusal), 0 for none.</param>
    /// <param name="attempts">How many times it was tried.</param>
    /// <param name="error">The sentence saying what went wrong, for the span's status.</param>
    internal static void MessageEnded(Activity? span, in SmtpEndpoint endpoint, long startedAt, string? errorType, int replyCode, int attempts, string? error)
    {
        if (span is not null)
        {
            if (span.IsAllDataRequested)
            {
                SetEndpoint(span, endpoint);
                span.SetTag(Attempts, Code(attempts));
                if (replyCode != 0)
                {
                    span.SetTag(StatusCode, Code(replyCode));
                }

                if (errorType is not null)
                {
                    span.SetTag(ErrorType, errorType);
                }
            }

            if (errorType is not null)
            {
                span.SetStatus(ActivityStatusCode.Error, error);
            }

            span.Stop();
        }

        Counter<long> counter = errorType is null ? MessagesDelivered : MessagesFailed;
        bool unknown = errorType == nameof(SmtpFailureReason.OutcomeUnknown);
        bool timed = startedAt != 0 && SendDuration.Enabled;
        if (!counter.Enabled && !timed && !(unknown && MessagesOutcomeUnknown.Enabled))
        {
            return;
        }

        TagList tags = EndpointTags(endpoint);
        if (errorType is not null)
        {
            tags.Add(ErrorType, errorType);
        }

        if (replyCode != 0)
        {
            tags.Add(StatusCode, Code(replyCode));
        }

        counter.Add(1, tags);
        if (timed)
        {
            SendDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, tags);
        }

        if (unknown)
        {
            MessagesOutcomeUnknown.Add(1, tags);
        }
    }

    /// <summary>Recipients refused while the message went to the others, each with its reply code.</summary>
    internal static void RecipientsRefused(in SmtpEndpoint endpoint, IReadOnlyList<SmtpRecipientResult>? recipients)
    {
        if (recipients is null || !RecipientsRejected.Enabled)
        {
            return;
        }

        foreach (SmtpRecipientResult recipient in recipients)
        {
            if (!recipient.Delivered)
            {
                TagList tags = EndpointTags(endpoint);
                if (recipient.Reply.Code != 0)
                {
                    tags.Add(StatusCode, Code(recipient.Reply.Code));
                }

                RecipientsRejected.Add(1, tags);
            }
        }
    }

    /// <summary>A message queued for another attempt: the counter, and an event on its span.</summary>
    internal static void Retried(Activity? span, in SmtpEndpoint endpoint, string why, int replyCode, int attempt)
    {
        if (Retries.Enabled)
        {
            TagList tags = EndpointTags(endpoint);
            tags.Add(ErrorType, why);
            if (replyCode != 0)
            {
                tags.Add(StatusCode, Code(replyCode));
            }

            Retries.Add(1, tags);
        }

        if (span is { IsAllDataRequested: true })
        {
            var tags = new ActivityTagsCollection { [ErrorType] = why, [Attempt] = Code(attempt) };
            if (replyCode != 0)
            {
                tags[StatusCode] = Code(replyCode);
            }

            span.AddEvent(new ActivityEvent(RetryEvent, tags: tags));
        }
    }

    /// <summary>A worker took a message from the queue: how long it waited.</summary>
    internal static void QueueWaited(in SmtpEndpoint endpoint, long enqueuedAt, long now)
    {
        if (QueueWaitTime.Enabled)
        {
            QueueWaitTime.Record(Stopwatch.GetElapsedTime(enqueuedAt, now).TotalSeconds, EndpointTags(endpoint));
        }
    }

    /// <summary>Starts a connection's <c>smtp.connect</c> span (it becomes current: the caller awaits the opening).</summary>
    internal static Activity? StartConnect(in SmtpEndpoint endpoint)
    {
        Activity? span = ActivitySource.HasListeners() ? ActivitySource.StartActivity(ConnectSpan, ActivityKind.Client) : null;
        if (span is { IsAllDataRequested: true })
        {
            SetEndpoint(span, endpoint);
        }

        return span;
    }

    /// <summary>A connection reached the ready state: counted, and its span told the TLS version in use (when any).</summary>
    internal static void ConnectionReady(Activity? span, in SmtpEndpoint endpoint, SslProtocols tls)
    {
        if (span is { IsAllDataRequested: true } && tls != SslProtocols.None)
        {
            span.SetTag("tls.protocol.name", "tls");
            span.SetTag("tls.protocol.version", tls switch
            {
                SslProtocols.Tls13 => "1.3",
                SslProtocols.Tls12 => "1.2",
                _ => tls.ToString(),
            });
        }

        if (ConnectionsOpened.Enabled)
        {
            ConnectionsOpened.Add(1, EndpointTags(endpoint));
        }
    }

    /// <summary>
    /// A connection that could not be opened: error.type is the exception's type, with the phase it failed in and the
    /// server's reply code. An opening the caller cancelled is no failure of the server: not counted.
    /// </summary>
    internal static void ConnectionFailed(Activity? span, in SmtpEndpoint endpoint, Exception exception)
    {
        string errorType = exception.GetType().FullName ?? exception.GetType().Name;
        int code = (exception as SmtpException)?.ReplyCode ?? 0;
        if (span is not null)
        {
            span.SetTag(ErrorType, errorType);
            span.SetStatus(ActivityStatusCode.Error, exception.Message);
        }

        if (ConnectionsFailed.Enabled && exception is not OperationCanceledException)
        {
            TagList tags = EndpointTags(endpoint);
            tags.Add(ErrorType, errorType);
            tags.Add(Phase, (exception as SmtpException)?.Phase.ToString() ?? nameof(SmtpPhase.Connect));
            if (code != 0)
            {
                tags.Add(StatusCode, Code(code));
            }

            ConnectionsFailed.Add(1, tags);
        }
    }

    /// <summary>Counts a sender's queue in <see cref="QueuedMessages"/> until <see cref="Unregister"/> (or until it is collected).</summary>
    internal static void Register(SmtpSender sender)
    {
        lock (Senders)
        {
            Senders.RemoveAll(static s => !s.TryGetTarget(out _));
            Senders.Add(new WeakReference<SmtpSender>(sender));
        }
    }

    internal static void Unregister(SmtpSender sender)
    {
        lock (Senders)
        {
            Senders.RemoveAll(s => !s.TryGetTarget(out SmtpSender? live) || ReferenceEquals(live, sender));
        }
    }

    private static List<Measurement<long>> ObserveQueues()
    {
        var measurements = new List<Measurement<long>>();
        lock (Senders)
        {
            foreach (WeakReference<SmtpSender> reference in Senders)
            {
                if (reference.TryGetTarget(out SmtpSender? sender))
                {
                    measurements.Add(new Measurement<long>(sender.QueuedCount, EndpointTags(sender.Endpoint)));
                }
            }
        }

        return measurements;
    }

    private static TagList EndpointTags(in SmtpEndpoint endpoint)
    {
        TagList tags = default;
        if (endpoint.Address is { } address)
        {
            tags.Add(ServerAddress, address);
        }

        if (endpoint.Port is { } port)
        {
            tags.Add(ServerPort, port);
        }

        return tags;
    }

    private static void SetEndpoint(Activity span, in SmtpEndpoint endpoint)
    {
        if (endpoint.Address is { } address)
        {
            span.SetTag(ServerAddress, address);
        }

        if (endpoint.Port is { } port)
        {
            span.SetTag(ServerPort, port);
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859:Use concrete types when possible for improved performance", Justification = "The box is the point: made once per code, shared by every tag list.")]
    private static object Code(int code) => code is >= 0 and < 600 ? Codes[code] ??= code : code;
}
