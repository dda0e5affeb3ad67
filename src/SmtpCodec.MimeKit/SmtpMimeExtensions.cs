using CommunityToolkit.HighPerformance;
using CommunityToolkit.HighPerformance.Buffers;
using MimeKit;
using SmtpCodec.Client;
using SmtpCodec.Protocol;

namespace SmtpCodec.MimeKit;

/// <summary>
/// Sends a <see cref="MimeMessage"/> through an <see cref="SmtpConnection"/> or an <see cref="SmtpSender"/>, as MailKit's
/// SmtpClient would: the envelope from the headers (Sender, else the first From; To, Cc and Bcc; the Resent-* set
/// when the message is being resent), Bcc and Resent-Bcc never transmitted, the message prepared for the server's
/// extensions (8BITMIME, BINARYMIME, SMTPUTF8) and written with CRLF line breaks.
/// </summary>
public static class SmtpMimeExtensions
{
    private const int InitialRenderSize = 16 * 1024;

    /// <summary>
    /// Sends a message with the envelope its headers give. It is written into the connection as it is sent: no copy
    /// of the whole message is made.
    /// </summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="message">The message; it is prepared for the server (its parts may be re-encoded).</param>
    /// <param name="cancellationToken">Cancels the transaction and closes the connection.</param>
    /// <returns>The server's reply and what became of each recipient.</returns>
    /// <exception cref="InvalidOperationException">The message has no sender or no recipient.</exception>
    /// <exception cref="SmtpException">The message needs SMTPUTF8 and the server does not offer it (nothing is sent), or the send failed.</exception>
    /// <exception cref="SmtpReplyException">No recipient got the message: the last refusal.</exception>
    public static Task<SmtpSendResult> SendAsync(this SmtpConnection connection, MimeMessage message, CancellationToken cancellationToken = default) =>
        SendAsync(connection, message, options: null, cancellationToken);

    /// <summary>Sends a message with the envelope its headers give, written and signed as <paramref name="options"/> say.</summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="message">The message; it is prepared for the server (its parts may be re-encoded) and may be signed.</param>
    /// <param name="options">Format options and a signing hook; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the transaction and closes the connection.</param>
    /// <returns>The server's reply and what became of each recipient.</returns>
    /// <exception cref="InvalidOperationException">The message has no sender or no recipient.</exception>
    /// <exception cref="SmtpException">The message needs SMTPUTF8 and the server does not offer it (nothing is sent), or the send failed.</exception>
    /// <exception cref="SmtpReplyException">No recipient got the message: the last refusal.</exception>
    public static Task<SmtpSendResult> SendAsync(this SmtpConnection connection, MimeMessage message, SmtpMimeOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(message);
        return SendCoreAsync(connection, message, sender: null, recipients: null, options, cancellationToken);
    }

    /// <summary>Sends a message to an envelope of its caller's choosing (the headers are sent as they are, Bcc hidden).</summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="message">The message; it is prepared for the server (its parts may be re-encoded) and may be signed.</param>
    /// <param name="sender">The reverse path.</param>
    /// <param name="recipients">The forward paths (each address once).</param>
    /// <param name="options">Format options and a signing hook; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the transaction and closes the connection.</param>
    /// <returns>The server's reply and what became of each recipient.</returns>
    /// <exception cref="InvalidOperationException">No recipient was given.</exception>
    /// <exception cref="SmtpException">The message needs SMTPUTF8 and the server does not offer it (nothing is sent), or the send failed.</exception>
    /// <exception cref="SmtpReplyException">No recipient got the message: the last refusal.</exception>
    public static Task<SmtpSendResult> SendAsync(
        this SmtpConnection connection, MimeMessage message, MailboxAddress sender, IEnumerable<MailboxAddress> recipients, SmtpMimeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(recipients);
        return SendCoreAsync(connection, message, sender, MimeSubmission.Unique(recipients), options, cancellationToken);
    }

    /// <summary>
    /// Submits a message to the pool with the envelope its headers give; waits for room, then for its end. It is
    /// prepared for the extensions the pool's server offers (<see cref="SmtpSender.GetServerExtensionsAsync"/>) and
    /// rendered once into a pooled buffer, which every attempt sends and which is returned when the message ends.
    /// </summary>
    /// <param name="sender">The pool.</param>
    /// <param name="message">The message; it is prepared for the server (its parts may be re-encoded) and may be signed.</param>
    /// <param name="cancellationToken">Cancels the message while it is prepared or waits (once sent, it runs to its end).</param>
    /// <returns>The message's end: accepted, or failed with the reason.</returns>
    /// <exception cref="InvalidOperationException">The message has no sender or no recipient, or the sender was stopped.</exception>
    /// <exception cref="SmtpException">The message needs SMTPUTF8 and the server does not offer it (nothing is sent).</exception>
    public static ValueTask<SmtpDelivery> SendAsync(this SmtpSender sender, MimeMessage message, CancellationToken cancellationToken = default) =>
        SendAsync(sender, message, options: null, cancellationToken);

    /// <summary>Submits a message to the pool with the envelope its headers give, written and signed as <paramref name="options"/> say.</summary>
    /// <param name="sender">The pool.</param>
    /// <param name="message">The message; it is prepared for the server (its parts may be re-encoded) and may be signed.</param>
    /// <param name="options">Format options and a signing hook; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the message while it is prepared or waits (once sent, it runs to its end).</param>
    /// <returns>The message's end: accepted, or failed with the reason.</returns>
    /// <exception cref="InvalidOperationException">The message has no sender or no recipient, or the sender was stopped.</exception>
    /// <exception cref="SmtpException">The message needs SMTPUTF8 and the server does not offer it (nothing is sent).</exception>
    public static ValueTask<SmtpDelivery> SendAsync(this SmtpSender sender, MimeMessage message, SmtpMimeOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(message);
        return SubmitAsync(sender, message, null, null, options, cancellationToken);
    }

    /// <summary>Submits a message to the pool with an envelope of its caller's choosing (the headers are sent as they are, Bcc hidden).</summary>
    /// <param name="sender">The pool.</param>
    /// <param name="message">The message; it is prepared for the server (its parts may be re-encoded) and may be signed.</param>
    /// <param name="from">The reverse path.</param>
    /// <param name="recipients">The forward paths (each address once).</param>
    /// <param name="options">Format options and a signing hook; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the message while it is prepared or waits (once sent, it runs to its end).</param>
    /// <returns>The message's end: accepted, or failed with the reason.</returns>
    /// <exception cref="InvalidOperationException">No recipient was given, or the sender was stopped.</exception>
    /// <exception cref="SmtpException">The message needs SMTPUTF8 and the server does not offer it (nothing is sent).</exception>
    public static ValueTask<SmtpDelivery> SendAsync(
        this SmtpSender sender, MimeMessage message, MailboxAddress from, IEnumerable<MailboxAddress> recipients, SmtpMimeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(recipients);
        return SubmitAsync(sender, message, from, MimeSubmission.Unique(recipients), options, cancellationToken);
    }

    /// <summary>
    /// Queues a message and returns as soon as it is queued (waiting only for room), with a handle to await its end.
    /// It is prepared as <see cref="SendAsync(SmtpSender, MimeMessage, SmtpMimeOptions?, CancellationToken)"/> does and
    /// rendered once into an array of its own, which the queue holds until the message ends.
    /// </summary>
    /// <param name="sender">The pool.</param>
    /// <param name="message">The message; it is prepared for the server (its parts may be re-encoded) and may be signed.</param>
    /// <param name="options">Format options and a signing hook; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the message while it is prepared, waits for room or in the queue.</param>
    /// <returns>The queued message, whose <see cref="SmtpQueuedMessage.Delivery"/> completes with its end.</returns>
    /// <exception cref="InvalidOperationException">The message has no sender or no recipient, or the sender was stopped.</exception>
    /// <exception cref="SmtpException">The message needs SMTPUTF8 and the server does not offer it (nothing is sent).</exception>
    public static async ValueTask<SmtpQueuedMessage> EnqueueAsync(this SmtpSender sender, MimeMessage message, SmtpMimeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(message);
        EhloExtensions? offered = await ServerExtensionsAsync(sender, cancellationToken).ConfigureAwait(false);
        (SmtpEnvelope envelope, FormatOptions format) = MimeSubmission.Prepare(message, null, null, offered, options);
        using var rendered = new ArrayPoolBufferWriter<byte>(InitialRenderSize);
        await message.WriteToAsync(format, rendered.AsStream(), cancellationToken).ConfigureAwait(false);
        return await sender.EnqueueAsync(envelope, rendered.WrittenSpan.ToArray(), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<SmtpSendResult> SendCoreAsync(
        SmtpConnection connection, MimeMessage message, MailboxAddress? sender, IReadOnlyList<MailboxAddress>? recipients, SmtpMimeOptions? options, CancellationToken cancellationToken)
    {
        (SmtpEnvelope envelope, FormatOptions format) = MimeSubmission.Prepare(message, sender, recipients, connection.Capabilities.Extensions, options);
        return await connection.SendAsync(envelope, (stream, token) => new ValueTask(message.WriteToAsync(format, stream, token)), cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<SmtpDelivery> SubmitAsync(
        SmtpSender sender, MimeMessage message, MailboxAddress? from, IReadOnlyList<MailboxAddress>? recipients, SmtpMimeOptions? options, CancellationToken cancellationToken)
    {
        EhloExtensions? offered = await ServerExtensionsAsync(sender, cancellationToken).ConfigureAwait(false);
        (SmtpEnvelope envelope, FormatOptions format) = MimeSubmission.Prepare(message, from, recipients, offered, options);

        // Rendered once: every attempt (a retry on another connection) sends these bytes, and the pool's fast paths
        // (pipelined DATA, BDAT windows) take a message in memory. The buffer goes back to the pool at the message's end.
        using var rendered = new ArrayPoolBufferWriter<byte>(InitialRenderSize);
        await message.WriteToAsync(format, rendered.AsStream(), cancellationToken).ConfigureAwait(false);
        return await sender.SendAsync(envelope, rendered.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// What the pool's server offers, or null when no connection can be opened now: the message is then prepared for a
    /// server offering nothing (7-bit, no UTF-8 headers: valid anywhere) and the pool reports the connection failure as the
    /// message's end, as it does for any message.
    /// </summary>
    private static async ValueTask<EhloExtensions?> ServerExtensionsAsync(SmtpSender sender, CancellationToken cancellationToken)
    {
        try
        {
            return await sender.GetServerExtensionsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpException)
        {
            return null;
        }
    }
}
