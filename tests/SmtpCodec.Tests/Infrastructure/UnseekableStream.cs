namespace SmtpCodec.Tests.Infrastructure;

/// <summary>Bytes that can be read once, as from a pipe or stdin: no seeking, no length.</summary>
internal sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
{
    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
}
