using System.Runtime.InteropServices;

namespace SmtpCodec.Sink;

/// <summary>
/// Makes the store durable: a message's file is flushed to the disk before it is renamed to <c>QUEUEID.eml</c>,
/// and the directory after the rename, so that the rename itself survives a crash; both before the 250.
/// </summary>
internal class StoreSync
{
    public static StoreSync Default { get; } = new();

    /// <summary>fsync(2) of the file's data and metadata.</summary>
    public virtual void File(FileStream file) => file.Flush(flushToDisk: true);

    /// <summary>
    /// fsync(2) of the directory, opened read-only (.NET cannot open a directory as a FileStream). On Windows,
    /// where a directory cannot be opened so, NTFS journals the rename itself.
    /// </summary>
    /// <exception cref="IOException">The directory cannot be opened or synced.</exception>
    public virtual void Directory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        int descriptor = Native.Open(path, 0);
        if (descriptor < 0)
        {
            throw new IOException($"Cannot open the directory '{path}' to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Native.FSync(descriptor) != 0)
            {
                throw new IOException($"Cannot sync the directory '{path}' (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Native.Close(descriptor);
        }
    }
}

/// <summary>The three calls of libc that syncing a directory takes.</summary>
internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int FSync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int descriptor);
}
