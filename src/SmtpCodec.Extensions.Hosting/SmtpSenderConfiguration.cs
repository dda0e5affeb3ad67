using System.Security.Authentication;
using Microsoft.Extensions.Configuration;
using SmtpCodec.Client;
using SmtpCodec.Protocol;

namespace SmtpCodec.Extensions.Hosting;

/// <summary>
/// The configuration shape of <see cref="SmtpSenderOptions"/>: the same keys (the property names), bound by the
/// configuration binding source generator (no reflection), then applied onto the options. A shape of its own because
/// the options also hold what configuration cannot carry (certificates, an <see cref="System.Net.IPEndPoint"/>,
/// delegates) and <see cref="SmtpCredentials"/> stays immutable, built through its checking constructor. Only keys that
/// are present change a setting: defaults and settings made in code before the binding stay.
/// </summary>
internal sealed class SmtpSenderConfiguration
{
    public string? Host { get; set; }

    public int? Port { get; set; }

    public int? ChunkingWindow { get; set; }

    public int? Connections { get; set; }

    public int? QueueCapacity { get; set; }

    public int? MaxMessagesPerConnection { get; set; }

    public TimeSpan? MaxConnectionAge { get; set; }

    public TimeSpan? IdleNoopInterval { get; set; }

    public double? MaxMessagesPerSecond { get; set; }

    public int? MaxAttempts { get; set; }

    public TimeSpan? RetryDelay { get; set; }

    public TimeSpan? MaxReconnectDelay { get; set; }

    public TimeSpan? BreakerCoolDown { get; set; }

    public ConnectionSection? Connection { get; set; }

    /// <summary>Binds <paramref name="section"/> and applies what it holds onto <paramref name="options"/>.</summary>
    public static void Apply(IConfiguration section, SmtpSenderOptions options)
    {
        var bound = new SmtpSenderConfiguration();
        section.Bind(bound);
        bound.ApplyTo(options, (section as IConfigurationSection)?.Path);
    }

    private void ApplyTo(SmtpSenderOptions options, string? path)
    {
        options.Host = Host ?? options.Host;
        options.Port = Port ?? options.Port;
        options.ChunkingWindow = ChunkingWindow ?? options.ChunkingWindow;
        options.Connections = Connections ?? options.Connections;
        options.QueueCapacity = QueueCapacity ?? options.QueueCapacity;
        options.MaxMessagesPerConnection = MaxMessagesPerConnection ?? options.MaxMessagesPerConnection;
        options.MaxConnectionAge = MaxConnectionAge ?? options.MaxConnectionAge;
        options.IdleNoopInterval = IdleNoopInterval ?? options.IdleNoopInterval;
        options.MaxMessagesPerSecond = MaxMessagesPerSecond ?? options.MaxMessagesPerSecond;
        options.MaxAttempts = MaxAttempts ?? options.MaxAttempts;
        options.RetryDelay = RetryDelay ?? options.RetryDelay;
        options.MaxReconnectDelay = MaxReconnectDelay ?? options.MaxReconnectDelay;
        options.BreakerCoolDown = BreakerCoolDown ?? options.BreakerCoolDown;
        if (Connection is not null)
        {
            options.Connection ??= new SmtpConnectionOptions();
            Connection.ApplyTo(options.Connection, (path is null ? "" : path + ":") + nameof(SmtpSenderOptions.Connection));
        }
    }

    /// <summary>The keys under <c>Connection</c>.</summary>
    internal sealed class ConnectionSection
    {
        public string? EhloName { get; set; }

        public SmtpTlsMode? TlsMode { get; set; }

        public TlsSection? Tls { get; set; }

        public CredentialsSection? Credentials { get; set; }

        public bool? AllowAuthenticationWithoutTls { get; set; }

        public bool? SendInitialResponseWithAuth { get; set; }

        public bool? UsePipelining { get; set; }

        public bool? UseChunking { get; set; }

        public TimeoutsSection? Timeouts { get; set; }

        public bool? ShowSecretsInTranscript { get; set; }

        public bool? TranscriptIncludesContent { get; set; }

        public void ApplyTo(SmtpConnectionOptions options, string path)
        {
            options.EhloName = EhloName ?? options.EhloName;
            options.TlsMode = TlsMode ?? options.TlsMode;
            options.AllowAuthenticationWithoutTls = AllowAuthenticationWithoutTls ?? options.AllowAuthenticationWithoutTls;
            options.SendInitialResponseWithAuth = SendInitialResponseWithAuth ?? options.SendInitialResponseWithAuth;
            options.UsePipelining = UsePipelining ?? options.UsePipelining;
            options.UseChunking = UseChunking ?? options.UseChunking;
            options.ShowSecretsInTranscript = ShowSecretsInTranscript ?? options.ShowSecretsInTranscript;
            options.TranscriptIncludesContent = TranscriptIncludesContent ?? options.TranscriptIncludesContent;
            if (Tls is not null)
            {
                options.Tls ??= new SmtpTlsOptions();
                options.Tls.TargetHost = Tls.TargetHost ?? options.Tls.TargetHost;
                options.Tls.EnabledProtocols = Tls.EnabledProtocols ?? options.Tls.EnabledProtocols;
                options.Tls.SkipCertificateValidation = Tls.SkipCertificateValidation ?? options.Tls.SkipCertificateValidation;
            }

            if (Timeouts is not null)
            {
                options.Timeouts ??= new SmtpTimeouts();
                Timeouts.ApplyTo(options.Timeouts);
            }

            if (Credentials is { } credentials && (credentials.UserName is not null || credentials.Secret is not null || credentials.Mechanism is not null))
            {
                options.Credentials = credentials.Create(path + ":" + nameof(SmtpConnectionOptions.Credentials));
            }
        }
    }

    /// <summary>The keys under <c>Connection:Tls</c> (certificates and callbacks are set in code).</summary>
    internal sealed class TlsSection
    {
        public string? TargetHost { get; set; }

        public SslProtocols? EnabledProtocols { get; set; }

        public bool? SkipCertificateValidation { get; set; }
    }

    /// <summary>The keys under <c>Connection:Credentials</c>, made into an <see cref="SmtpCredentials"/> by its constructor.</summary>
    internal sealed class CredentialsSection
    {
        public string? UserName { get; set; }

        public string? Secret { get; set; }

        public SaslMechanism? Mechanism { get; set; }

        public SmtpCredentials Create(string path)
        {
            if (string.IsNullOrEmpty(UserName))
            {
                throw new InvalidOperationException($"{path}:{nameof(UserName)} is required when {path} is configured.");
            }

            if (Secret is null)
            {
                throw new InvalidOperationException($"{path}:{nameof(Secret)} is required when {path} is configured.");
            }

            try
            {
                return new SmtpCredentials(UserName, Secret, Mechanism ?? SaslMechanism.None);
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"{path}:{nameof(Mechanism)}: {e.Message}", e);
            }
        }
    }

    /// <summary>The keys under <c>Connection:Timeouts</c>.</summary>
    internal sealed class TimeoutsSection
    {
        public TimeSpan? Connect { get; set; }

        public TimeSpan? Greeting { get; set; }

        public TimeSpan? Command { get; set; }

        public TimeSpan? MailRcpt { get; set; }

        public TimeSpan? Data { get; set; }

        public TimeSpan? DataBlock { get; set; }

        public TimeSpan? EndOfData { get; set; }

        public void ApplyTo(SmtpTimeouts timeouts)
        {
            timeouts.Connect = Connect ?? timeouts.Connect;
            timeouts.Greeting = Greeting ?? timeouts.Greeting;
            timeouts.Command = Command ?? timeouts.Command;
            timeouts.MailRcpt = MailRcpt ?? timeouts.MailRcpt;
            timeouts.Data = Data ?? timeouts.Data;
            timeouts.DataBlock = DataBlock ?? timeouts.DataBlock;
            timeouts.EndOfData = EndOfData ?? timeouts.EndOfData;
        }
    }
}
