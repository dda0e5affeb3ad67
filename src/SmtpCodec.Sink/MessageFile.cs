using System.Buffers;

namespace SmtpCodec.Sink;

/// <summary>
/// One session's message on its way to the store: written as it arrives (memory stays bounded by the
/// file's buffer), committed under its queue id or discarded. A write error does not end the session: the
/// message is refused at its end instead. The temporary file is created exclusively (O_CREAT|O_EXCL: an
/// existing file or a symbolic link there is removed, never followed or written through); a commit syncs the
/// file, renames it to <c>QUEUEID.eml</c> and syncs the directory, so that once the 250 leaves the message is
/// on disk, and a crash at any point leaves either no <c>.eml</c> or a complete one. Beside it,
/// <c>QUEUEID.envelope</c> keeps the transaction's MAIL line and its accepted RCPT lines as received, written and
/// synced before the <c>.eml</c> appears, so a reader that finds the message finds its envelope.
/// </summary>
internal sealed class MessageFile : IDisposable
{
    private readonly string _directory;
    private readonly string _temporaryPath;
    private readonly StoreSync _sync;
    private FileStream? _file;
    private bool _created;
    private bool _failed;

    // The envelope of the transaction in progress: bounded by the sink's command length and recipient limits.
    private readonly ArrayBufferWriter<byte> _envelope = new(256);

    public MessageFile(string directory, string temporaryPath, StoreSync sync)
    {
        _directory = directory;
        _temporaryPath = temporaryPath;
        _sync = sync;
    }

    /// <summary>Starts the envelope of a new transaction with its MAIL command (<paramref name="argument"/> follows <c>MAIL </c>).</summary>
    public void RecordMail(ReadOnlySpan<byte> argument)
    {
        _envelope.Clear();
        AppendEnvelopeLine("MAIL "u8, argument);
    }

    /// <summary>Adds an accepted recipient (<paramref name="argument"/> follows <c>RCPT </c>).</summary>
    public void RecordRecipient(ReadOnlySpan<byte> argument) => AppendEnvelopeLine("RCPT "u8, argument);

    /// <summary>Appends content, creating the file with the message's first bytes.</summary>
    public void Write(ReadOnlySpan<byte> content)
    {
        if (_failed)
        {
            return;
        }

        try
        {
            Open().Write(content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _failed = true;
        }
    }

    /// <summary>Keeps the message as <c>QUEUEID.eml</c>; false when it could not be written.</summary>
    public bool Commit(string queueId)
    {
        try
        {
            if (_failed)
            {
                return false;
            }

            FileStream file = Open();
            _sync.File(file);
            file.Dispose();
            _file = null;
            string envelopePath = Path.Combine(_directory, queueId + ".envelope");
            WriteEnvelope(envelopePath);
            string path = Path.Combine(_directory, queueId + ".eml");
            try
            {
                File.Move(_temporaryPath, path, overwrite: false);
                _created = false;
                _sync.Directory(_directory);
            }
            catch (IOException)
            {
                // Not known to be durable: refused, so the client sends it again; no copy stays behind.
                File.Delete(path);
                File.Delete(envelopePath);
                throw;
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        finally
        {
            Discard();
        }
    }

    /// <summary>Forgets the message in progress and its envelope, if any.</summary>
    public void Discard()
    {
        _failed = false;
        _envelope.Clear();
        try
        {
            _file?.Dispose();
            if (_created)
            {
                File.Delete(_temporaryPath);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary file is overwritten by the session's next message.
        }
        finally
        {
            _file = null;
            _created = false;
        }
    }

    public void Dispose() => Discard();

    private void AppendEnvelopeLine(ReadOnlySpan<byte> verb, ReadOnlySpan<byte> argument)
    {
        _envelope.Write(verb);
        _envelope.Write(argument);
        _envelope.Write("\r\n"u8);
    }

    /// <summary>The envelope file, synced under its final name before the message's own rename.</summary>
    private void WriteEnvelope(string path)
    {
        string temporary = _temporaryPath + ".envelope";
        File.Delete(temporary);
        using (FileStream file = new(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 4096))
        {
            file.Write(_envelope.WrittenSpan);
            _sync.File(file);
        }

        File.Move(temporary, path, overwrite: false);
    }

    private FileStream Create() => new(_temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 64 * 1024);

    private FileStream Open()
    {
        if (_file is null)
        {
            try
            {
                _file = Create();
            }
            catch (IOException) when (Path.Exists(_temporaryPath) || new FileInfo(_temporaryPath).LinkTarget is not null)
            {
                // A leftover of a crashed run, or a link someone planted: removed (a link itself, not its target).
                File.Delete(_temporaryPath);
                _file = Create();
            }

            _created = true;
        }

        return _file;
    }
}
