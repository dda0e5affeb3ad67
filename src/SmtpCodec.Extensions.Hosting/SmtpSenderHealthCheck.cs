using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SmtpCodec.Client;

namespace SmtpCodec.Extensions.Hosting;

/// <summary>
/// A sender's health: Healthy with an open connection, Degraded with none open (the pool connects on the next
/// message; the last connection failure, if any, is in the data), Unhealthy while its breaker is open (a permanent
/// connection failure: messages fail at once). The data carry the open connections, the breaker's state and the
/// last connection failure. Register it with <c>services.AddHealthChecks().Add(SmtpSenderHealthCheck.Registration())</c>.
/// </summary>
/// <param name="sender">The sender to report on.</param>
public sealed class SmtpSenderHealthCheck(SmtpSender sender) : IHealthCheck
{
    /// <summary>
    /// A registration for a registered sender's health check, for <c>IHealthChecksBuilder.Add</c> (this package
    /// depends on the health checks' abstractions only, so the application's health check service takes it).
    /// </summary>
    /// <param name="senderName">The sender's name; empty for the unnamed sender.</param>
    /// <param name="checkName">The check's name; by default <c>smtp</c>, or <c>smtp-NAME</c> for a named sender.</param>
    /// <param name="failureStatus">The status reported when the breaker is open; Unhealthy by default.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <returns>The registration.</returns>
    public static HealthCheckRegistration Registration(string senderName = "", string? checkName = null, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(senderName);
        return new HealthCheckRegistration(
            checkName ?? (senderName.Length == 0 ? "smtp" : "smtp-" + senderName),
            provider => new SmtpSenderHealthCheck(senderName.Length == 0 ? provider.GetRequiredService<SmtpSender>() : provider.GetRequiredKeyedService<SmtpSender>(senderName)),
            failureStatus,
            tags);
    }

    /// <summary>Reports the sender's state.</summary>
    /// <param name="context">The check's context (its registration's failure status).</param>
    /// <param name="cancellationToken">Unused: the check reads counters only.</param>
    /// <returns>The result.</returns>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        int open = sender.OpenConnections;
        SmtpException? breaker = sender.BreakerCause;
        SmtpException? lastFailure = sender.LastConnectionFailure;
        var data = new Dictionary<string, object>
        {
            ["open_connections"] = open,
            ["breaker"] = breaker is null ? "closed" : "open",
            ["accepted"] = sender.AcceptedCount,
            ["failed"] = sender.FailedCount,
        };
        if (lastFailure is not null)
        {
            data["last_failure"] = lastFailure.Message;
            data["last_failure_time"] = sender.LastConnectionFailureTime?.ToString("O", CultureInfo.InvariantCulture) ?? "";
        }

        HealthCheckResult result = breaker is not null
            ? new HealthCheckResult(context.Registration.FailureStatus, $"The breaker is open: {breaker.Message}", breaker, data)
            : open > 0
                ? HealthCheckResult.Healthy($"{open} connection(s) open.", data)
                : HealthCheckResult.Degraded(
                    lastFailure is null ? "No connection is open; the pool connects on the next message." : $"No connection is open; the last attempt failed: {lastFailure.Message}",
                    lastFailure,
                    data);
        return Task.FromResult(result);
    }
}
