namespace SmtpCodec.Fuzz;

/// <summary>A fuzz target found the codec breaking one of its promises on some input.</summary>
public sealed class InvariantViolationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was promised and what happened.</param>
    public InvariantViolationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InvariantViolationException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was promised and what happened.</param>
    /// <param name="innerException">The cause.</param>
    public InvariantViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
