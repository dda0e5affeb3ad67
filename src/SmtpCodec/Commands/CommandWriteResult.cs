using System;
using SmtpCodec.Protocol;

namespace SmtpCodec.Commands;

/// <summary>
/// What <see cref="SmtpCommandWriter"/> did: the bytes it committed, or the error and the argument
/// that caused it (then nothing was committed to the buffer writer).
/// </summary>
public readonly struct CommandWriteResult : IEquatable<CommandWriteResult>
{
    internal CommandWriteResult(SmtpCodecError error, string? argumentName, int bytesWritten, bool initialResponseDeferred)
    {
        Error = error;
        ArgumentName = argumentName;
        BytesWritten = bytesWritten;
        InitialResponseDeferred = initialResponseDeferred;
    }

    /// <summary>None on success, else why the command was not written.</summary>
    public SmtpCodecError Error { get; }

    /// <summary>The name of the argument that failed validation (as the writer's parameter is named, e.g. <c>reversePath</c> or <c>EnvelopeId</c>); null on success.</summary>
    public string? ArgumentName { get; }

    /// <summary>How many bytes were committed to the buffer writer (0 on failure).</summary>
    public int BytesWritten { get; }

    /// <summary>
    /// True when AUTH was written without its initial response because the line would exceed 512
    /// octets: send the response after the server's 334 instead (RFC 4954 section 4).
    /// </summary>
    public bool InitialResponseDeferred { get; }

    /// <summary>Whether the command was written.</summary>
    public bool Succeeded => Error == SmtpCodecError.None;

    /// <summary>Throws <see cref="ArgumentException"/> naming the argument when the command was not written.</summary>
    /// <exception cref="ArgumentException">The command was not written.</exception>
    public void ThrowIfFailed()
    {
        if (!Succeeded)
        {
            throw new ArgumentException($"{Error}: {SmtpCodecErrors.GetMessage(Error)}", ArgumentName);
        }
    }

    /// <inheritdoc/>
    public bool Equals(CommandWriteResult other) =>
        Error == other.Error
        && string.Equals(ArgumentName, other.ArgumentName, StringComparison.Ordinal)
        && BytesWritten == other.BytesWritten
        && InitialResponseDeferred == other.InitialResponseDeferred;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is CommandWriteResult other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Error, ArgumentName, BytesWritten, InitialResponseDeferred);

    /// <inheritdoc/>
    public override string ToString() => Succeeded ? $"Written ({BytesWritten} bytes)" : $"{Error} in {ArgumentName}";

    /// <summary>Compares two results.</summary>
    /// <param name="left">A result.</param>
    /// <param name="right">Another result.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(CommandWriteResult left, CommandWriteResult right) => left.Equals(right);

    /// <summary>Compares two results.</summary>
    /// <param name="left">A result.</param>
    /// <param name="right">Another result.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(CommandWriteResult left, CommandWriteResult right) => !left.Equals(right);
}
