namespace SmtpCodec.Client;

/// <summary>A pool's failure to open a connection, as <see cref="SmtpSenderOptions.ConnectionFailed"/> reports it.</summary>
/// <param name="Error">What went wrong; <see cref="SmtpException.IsTransient"/> says whether the pool keeps trying.</param>
/// <param name="BreakerOpened">
/// Whether the failure was permanent and opened the pool's breaker: no connection is attempted, and messages fail at
/// once, until <see cref="SmtpSenderOptions.BreakerCoolDown"/> passes or <see cref="SmtpSender.ResetBreaker"/> is called.
/// </param>
public readonly record struct SmtpConnectionFailure(SmtpException Error, bool BreakerOpened);
