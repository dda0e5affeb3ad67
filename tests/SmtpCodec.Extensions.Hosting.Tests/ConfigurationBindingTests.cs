using System.Reflection;
using System.Security.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SmtpCodec.Client;
using SmtpCodec.Protocol;

namespace SmtpCodec.Extensions.Hosting.Tests;

public sealed class ConfigurationBindingTests
{
    private static readonly Dictionary<string, string?> s_everyKey = new()
    {
        ["Smtp:Host"] = "smtp.example.test",
        ["Smtp:Port"] = "2525",
        ["Smtp:ChunkingWindow"] = "7",
        ["Smtp:Connections"] = "8",
        ["Smtp:QueueCapacity"] = "99",
        ["Smtp:MaxMessagesPerConnection"] = "250",
        ["Smtp:MaxConnectionAge"] = "00:10:00",
        ["Smtp:IdleNoopInterval"] = "00:00:15",
        ["Smtp:MaxMessagesPerSecond"] = "12.5",
        ["Smtp:MaxAttempts"] = "5",
        ["Smtp:RetryDelay"] = "00:00:02",
        ["Smtp:MaxReconnectDelay"] = "00:02:00",
        ["Smtp:BreakerCoolDown"] = "00:03:00",
        ["Smtp:Connection:EhloName"] = "client.example.test",
        ["Smtp:Connection:TlsMode"] = "Implicit",
        ["Smtp:Connection:Tls:TargetHost"] = "mx.example.test",
        ["Smtp:Connection:Tls:EnabledProtocols"] = "Tls13",
        ["Smtp:Connection:Tls:SkipCertificateValidation"] = "true",
        ["Smtp:Connection:Credentials:UserName"] = "me@example.test",
        ["Smtp:Connection:Credentials:Secret"] = "s3cret",
        ["Smtp:Connection:Credentials:Mechanism"] = "ScramSha256",
        ["Smtp:Connection:AllowAuthenticationWithoutTls"] = "true",
        ["Smtp:Connection:SendInitialResponseWithAuth"] = "false",
        ["Smtp:Connection:UsePipelining"] = "false",
        ["Smtp:Connection:UseChunking"] = "true",
        ["Smtp:Connection:ShowSecretsInTranscript"] = "true",
        ["Smtp:Connection:TranscriptIncludesContent"] = "true",
        ["Smtp:Connection:Timeouts:Connect"] = "00:00:11",
        ["Smtp:Connection:Timeouts:Greeting"] = "00:00:12",
        ["Smtp:Connection:Timeouts:Command"] = "00:00:13",
        ["Smtp:Connection:Timeouts:MailRcpt"] = "00:00:14",
        ["Smtp:Connection:Timeouts:Data"] = "00:00:15",
        ["Smtp:Connection:Timeouts:DataBlock"] = "00:00:16",
        ["Smtp:Connection:Timeouts:EndOfData"] = "00:00:17",
        ["Smtp:Hosting:OpenConnectionsAtStart"] = "false",
        ["Smtp:Hosting:RequireConnectionsAtStart"] = "true",
    };

    [Fact]
    public void EveryKeyIsBoundIncludingTlsCredentialsAndTimeouts()
    {
        (SmtpSenderOptions options, SmtpSenderHostingOptions hosting) = Bind(s_everyKey);

        Assert.Equal(("smtp.example.test", 2525, 7, 8, 99, 250), (options.Host, options.Port, options.ChunkingWindow, options.Connections, options.QueueCapacity, options.MaxMessagesPerConnection));
        Assert.Equal((TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(15), 12.5, 5), (options.MaxConnectionAge, options.IdleNoopInterval, options.MaxMessagesPerSecond, options.MaxAttempts));
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(3)), (options.RetryDelay, options.MaxReconnectDelay, options.BreakerCoolDown));

        SmtpConnectionOptions connection = options.Connection;
        Assert.Equal(("client.example.test", SmtpTlsMode.Implicit), (connection.EhloName, connection.TlsMode));
        Assert.Equal(("mx.example.test", SslProtocols.Tls13, true), (connection.Tls.TargetHost, connection.Tls.EnabledProtocols, connection.Tls.SkipCertificateValidation));
        Assert.NotNull(connection.Credentials);
        Assert.Equal(("me@example.test", "s3cret", SaslMechanism.ScramSha256), (connection.Credentials.UserName, connection.Credentials.Secret, connection.Credentials.Mechanism));
        Assert.Equal((true, false, false, true), (connection.AllowAuthenticationWithoutTls, connection.SendInitialResponseWithAuth, connection.UsePipelining, connection.UseChunking));
        Assert.Equal((true, true), (connection.ShowSecretsInTranscript, connection.TranscriptIncludesContent));
        SmtpTimeouts t = connection.Timeouts;
        Assert.Equal(
            [11, 12, 13, 14, 15, 16, 17],
            new[] { t.Connect, t.Greeting, t.Command, t.MailRcpt, t.Data, t.DataBlock, t.EndOfData }.Select(x => (int)x.TotalSeconds));
        Assert.Equal((false, true), (hosting.OpenConnectionsAtStart, hosting.RequireConnectionsAtStart));
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void AbsentKeysKeepTheDefaultsAndWhatCodeSetBeforeTheBinding()
    {
        var services = new ServiceCollection();
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Smtp:Host"] = "smtp.example.test",
            ["Smtp:Port"] = "587",
            ["Smtp:Connection:Timeouts:Greeting"] = "00:00:30",
        }).Build();
        services.Configure<SmtpSenderOptions>(options => options.Connection.Timeouts.Command = TimeSpan.FromSeconds(42));
        services.AddSmtpSender(configuration.GetSection("Smtp"));
        SmtpSenderOptions options = services.BuildServiceProvider().GetRequiredService<IOptionsMonitor<SmtpSenderOptions>>().Get(Options.DefaultName);

        var defaults = new SmtpSenderOptions();
        Assert.Equal((defaults.Connections, defaults.QueueCapacity, defaults.MaxAttempts), (options.Connections, options.QueueCapacity, options.MaxAttempts));
        Assert.Equal((SmtpTlsMode.ByPort, (SmtpCredentials?)null), (options.Connection.TlsMode, options.Connection.Credentials));
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(42)), (options.Connection.Timeouts.Greeting, options.Connection.Timeouts.Command));
        Assert.Equal(new SmtpTimeouts().EndOfData, options.Connection.Timeouts.EndOfData);
    }

    [Fact]
    public void ConfigurationCarriesAppSettingsJson()
    {
        string file = Path.Combine(Path.GetTempPath(), $"smtp-appsettings-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """
            {
              "Smtp": {
                "Host": "smtp.example.test",
                "Port": 465,
                "Connections": 8,
                "Connection": {
                  "TlsMode": "Implicit",
                  "Credentials": { "UserName": "me@example.test", "Secret": "from-a-secret-store" },
                  "Timeouts": { "Greeting": "00:01:00" }
                }
              }
            }
            """);
        try
        {
            IConfiguration configuration = new ConfigurationBuilder().AddJsonFile(file).Build();
            var services = new ServiceCollection();
            services.AddSmtpSender(configuration.GetSection("Smtp"));
            SmtpSenderOptions options = services.BuildServiceProvider().GetRequiredService<IOptionsMonitor<SmtpSenderOptions>>().Get(Options.DefaultName);

            Assert.Equal(("smtp.example.test", 465, 8, SmtpTlsMode.Implicit), (options.Host, options.Port, options.Connections, options.Connection.TlsMode));
            Assert.Equal(("me@example.test", SaslMechanism.None), (options.Connection.Credentials!.UserName, options.Connection.Credentials.Mechanism));
            Assert.Equal(TimeSpan.FromMinutes(1), options.Connection.Timeouts.Greeting);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void CredentialsWithoutAUserNameAreRefusedNamingTheKey()
    {
        var keys = new Dictionary<string, string?> { ["Smtp:Host"] = "h", ["Smtp:Port"] = "587", ["Smtp:Connection:Credentials:Secret"] = "x" };

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => Bind(keys));
        Assert.Contains("Smtp:Connection:Credentials:UserName is required", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(typeof(SmtpSenderOptions), typeof(SmtpSenderConfiguration))]
    [InlineData(typeof(SmtpConnectionOptions), typeof(SmtpSenderConfiguration.ConnectionSection))]
    [InlineData(typeof(SmtpTlsOptions), typeof(SmtpSenderConfiguration.TlsSection))]
    [InlineData(typeof(SmtpTimeouts), typeof(SmtpSenderConfiguration.TimeoutsSection))]
    [InlineData(typeof(SmtpCredentials), typeof(SmtpSenderConfiguration.CredentialsSection))]
    public void EveryOptionConfigurationCanCarryHasAKey(Type options, Type section)
    {
        // Values configuration can carry (text, numbers, switches, enums, times) and nested option objects: a property
        // added to the client's options without its key here would be silently unbindable.
        static bool Bindable(Type type)
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan)
                || type == typeof(SmtpConnectionOptions) || type == typeof(SmtpTlsOptions) || type == typeof(SmtpTimeouts) || type == typeof(SmtpCredentials);
        }

        string[] expected = [.. options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => Bindable(p.PropertyType)).Select(p => p.Name).Order()];
        string[] keys = [.. section.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name).Order()];

        Assert.Equal(expected, keys);
    }

    private static (SmtpSenderOptions Options, SmtpSenderHostingOptions Hosting) Bind(Dictionary<string, string?> keys)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(keys).Build();
        var services = new ServiceCollection();
        services.AddSmtpSender(configuration.GetSection("Smtp"));
        ServiceProvider provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<IOptionsMonitor<SmtpSenderOptions>>().Get(Options.DefaultName),
                provider.GetRequiredService<IOptionsMonitor<SmtpSenderHostingOptions>>().Get(Options.DefaultName));
    }
}
