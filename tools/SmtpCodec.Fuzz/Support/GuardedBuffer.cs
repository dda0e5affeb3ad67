using System.Buffers;
using System.Runtime.InteropServices;

namespace SmtpCodec.Fuzz.Support;

/// <summary>
/// Memory whose usable bytes end right before an unreadable page (on Linux), so that a parser reading or
/// writing even one byte past a span handed out by <see cref="Tail"/> faults at once instead of reading
/// whatever lies there. Elsewhere it is a plain array (the checks still run, without the fault).
/// </summary>
/// <remarks>
/// One buffer is reused across runs: it grows, never shrinks, and is mapped once per size. Memory handed out
/// before a call that grows it is no longer valid.
/// </remarks>
public sealed unsafe partial class GuardedBuffer : MemoryManager<byte>
{
    private const int ProtNone = 0;
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapPrivate = 0x02;
    private const int MapAnonymous = 0x20;

    private static readonly int s_pageSize = Environment.SystemPageSize;

    private byte* _native;
    private nuint _mappedLength;
    private byte[]? _managed;
    private int _capacity;

    /// <summary>Whether reads past the end fault (Linux) or go unnoticed (a plain array elsewhere).</summary>
    public static bool IsGuarded { get; } = OperatingSystem.IsLinux();

    /// <summary>The last <paramref name="length"/> usable bytes: the page after them cannot be touched.</summary>
    /// <param name="length">How many bytes the caller needs.</param>
    /// <returns>Memory ending at the guard page.</returns>
    public Memory<byte> Tail(int length)
    {
        EnsureCapacity(length);
        return Memory.Slice(_capacity - length, length);
    }

    /// <summary>Copies <paramref name="bytes"/> so that they end at the guard page.</summary>
    /// <param name="bytes">What to copy.</param>
    /// <returns>The copy.</returns>
    public ReadOnlyMemory<byte> CopyToTail(ReadOnlySpan<byte> bytes)
    {
        Memory<byte> tail = Tail(bytes.Length);
        bytes.CopyTo(tail.Span);
        return tail;
    }

    /// <inheritdoc/>
    public override Span<byte> GetSpan() => _managed ?? (_native is null ? [] : new Span<byte>(_native, _capacity));

    /// <inheritdoc/>
    public override MemoryHandle Pin(int elementIndex = 0) =>
        _native is not null ? new MemoryHandle(_native + elementIndex) : throw new NotSupportedException("Only guarded native buffers are pinned.");

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing) => Unmap();

    private void EnsureCapacity(int length)
    {
        if (length <= _capacity && (_native is not null || _managed is not null))
        {
            return;
        }

        int capacity = Math.Max(length, _capacity * 2);
        if (!IsGuarded)
        {
            _managed = new byte[capacity];
            _capacity = capacity;
            return;
        }

        Unmap();
        nuint usablePages = (nuint)((capacity + s_pageSize - 1) / s_pageSize);
        nuint mappedLength = (usablePages + 1) * (nuint)s_pageSize;
        void* address = mmap(null, mappedLength, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (address == (void*)-1)
        {
            throw new InvalidOperationException($"mmap of {mappedLength} bytes failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        byte* guard = (byte*)address + (usablePages * (nuint)s_pageSize);
        if (mprotect(guard, (nuint)s_pageSize, ProtNone) != 0)
        {
            throw new InvalidOperationException($"mprotect of the guard page failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        // The usable bytes are the last `capacity` bytes before the guard page.
        _capacity = (int)(usablePages * (nuint)s_pageSize);
        _native = (byte*)address;
        _mappedLength = mappedLength;
    }

    private void Unmap()
    {
        if (_native is not null)
        {
            _ = munmap(_native, _mappedLength);
            _native = null;
            _capacity = 0;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(void* address, nuint length, int protection);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(void* address, nuint length);
}
