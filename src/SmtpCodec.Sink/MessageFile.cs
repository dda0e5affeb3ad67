namespace SmtpCodec.Sink;

/// <summary>
/// One session's message on its way to the store: written as it arrives (memory stays bounded by the
/// file's buffer), committed under its queue id or discarded. A write error does not end the session: the
/// message is refused at its end instead. The temporary file is created exclusively (O_CREAT|O_EXCL: an
/// existing file or a symbolic link there is removed, never followed or written through); a commit syncs the
/// file, renames it to <c>QUEUEID.eml</c> and syncs the directory, so that once the 250 leaves the message is
/// on disk, and a crash at any point leaves either no <c>.eml</c> or a complete one.
/// </summary>
internal sealed class MessageFile : IDisposable
{
    private readonly string _directory;
    private readonly string _temporaryPath;
    private readonly StoreSync _sync;
    private FileStream? _file;
    private bool _created;
    private bool _failed;

    public MessageFile(string directory, string temporaryPath, StoreSync sync)
    {
        _directory = directory;
        _temporaryPath = temporaryPath;
        _sync = sync;
    }

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
            string path = Path.Combine(_directory, queueId + ".eml");
            File.Move(_temporaryPath, path, overwrite: false);
            _created = false;
            try
            {
                _sync.Directory(_directory);
            }
            catch (IOException)
            {
                // Not known to be durable: refused, so the client sends it again; no copy stays behind.
                File.Delete(path);
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

    /// <summary>Forgets the message in progress, if any.</summary>
    public void Discard()
    {
        _failed = false;
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
