namespace SmtpCodec.Sink;

/// <summary>
/// One session's message on its way to the store: written as it arrives (memory stays bounded by the
/// file's buffer), committed under its queue id or discarded. A write error does not end the session: the
/// message is refused at its end instead.
/// </summary>
internal sealed class MessageFile : IDisposable
{
    private readonly string _directory;
    private readonly string _temporaryPath;
    private FileStream? _file;
    private bool _created;
    private bool _failed;

    public MessageFile(string directory, string temporaryPath)
    {
        _directory = directory;
        _temporaryPath = temporaryPath;
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

            Open().Dispose();
            _file = null;
            File.Move(_temporaryPath, Path.Combine(_directory, queueId + ".eml"), overwrite: false);
            _created = false;
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

    private FileStream Open()
    {
        if (_file is null)
        {
            _created = true;
            _file = new FileStream(_temporaryPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 64 * 1024);
        }

        return _file;
    }
}
