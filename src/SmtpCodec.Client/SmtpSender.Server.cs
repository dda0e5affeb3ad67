using SmtpCodec.Protocol;

namespace SmtpCodec.Client;

/// <summary>What the pool's server offers, for content that must be prepared for it before it is queued.</summary>
public sealed partial class SmtpSender
{
    private readonly Lock _probeLock = new();
    private Task<EhloExtensions>? _probe;
    private ulong _serverExtensions;
    private volatile bool _serverExtensionsKnown;
    private volatile bool _stopped;

    /// <summary>
    /// The extensions the pool's server offers (its EHLO reply after STARTTLS and AUTH), as the most recently opened
    /// connection saw them, so that a message can be prepared for them before it is queued (a MIME message encoded
    /// 7-bit or 8-bit, with UTF-8 headers or not). When no connection has opened yet, one opens now and joins the pool.
    /// Every connection of a pool goes to the same server with the same options, so they are expected to agree; a
    /// message prepared for an extension a later connection lacks fails on it with a clear reason.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait (not the opening, which other callers may share).</param>
    /// <returns>The server's extensions.</returns>
    /// <exception cref="SmtpException">No connection could be opened.</exception>
    public ValueTask<EhloExtensions> GetServerExtensionsAsync(CancellationToken cancellationToken = default)
    {
        if (_serverExtensionsKnown)
        {
            return new ValueTask<EhloExtensions>((EhloExtensions)Volatile.Read(ref _serverExtensions));
        }

        Task<EhloExtensions> probe;
        lock (_probeLock)
        {
            // One opening at a time, shared by every caller; a failed one is tried again by the next caller.
            if (_probe is null || _probe.IsFaulted || _probe.IsCanceled)
            {
                _probe = ProbeAsync();
            }

            probe = _probe;
        }

        return new ValueTask<EhloExtensions>(probe.WaitAsync(cancellationToken));
    }

    /// <summary>Notes what a newly opened connection's server offers.</summary>
    private void NoteServer(SmtpConnection connection)
    {
        Volatile.Write(ref _serverExtensions, (ulong)connection.Capabilities.Extensions);
        _serverExtensionsKnown = true;
    }

    /// <summary>Opens one connection for the pool (a worker takes it) and returns what its server offers.</summary>
    private async Task<EhloExtensions> ProbeAsync()
    {
        SmtpConnection connection = await OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
        EhloExtensions offered = connection.Capabilities.Extensions;
        _opened.Enqueue(connection);
        if (_stopped)
        {
            // StopAsync may have emptied the opened connections before this one joined them: close what is left.
            await QuitUnusedAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return offered;
    }

    /// <summary>Says QUIT on every connection opened ahead and never taken by a worker, and closes it.</summary>
    private async Task QuitUnusedAsync(CancellationToken cancellationToken)
    {
        while (_opened.TryDequeue(out SmtpConnection? unused))
        {
            try
            {
                await unused.QuitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SmtpException or OperationCanceledException)
            {
                // Closing a connection nobody used (or no time left to say QUIT): nothing to report.
            }
            finally
            {
                await unused.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
