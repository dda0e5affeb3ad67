using System.Globalization;

namespace SmtpCodec.Sink;

/// <summary>
/// The directory of <see cref="SmtpSinkOptions.StoreDirectory"/>: each session streams its message into a
/// temporary file of its own and, once accepted, renames it to <c>QUEUEID.eml</c> (durably: see <see cref="MessageFile"/>).
/// </summary>
internal sealed class MessageStore
{
    private readonly StoreSync _sync;

    public MessageStore(string directory, StoreSync? sync = null)
    {
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
        _sync = sync ?? StoreSync.Default;
    }

    public string Directory { get; }

    /// <summary>
    /// The highest queue id among the stored files (messages and envelopes, so that an envelope a crash left
    /// without its message is not overwritten), so that a reused directory keeps its messages.
    /// </summary>
    public long HighestStoredId()
    {
        long highest = 0;
        foreach (string path in System.IO.Directory.EnumerateFiles(Directory, "*.eml").Concat(System.IO.Directory.EnumerateFiles(Directory, "*.envelope")))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long id))
            {
                highest = Math.Max(highest, id);
            }
        }

        return highest;
    }

    public MessageFile OpenSession(long session) => new(Directory, Path.Combine(Directory, $".incoming-{session.ToString(CultureInfo.InvariantCulture)}.tmp"), _sync);
}
