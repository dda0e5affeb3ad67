using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;

namespace SmtpCodec.Extensions.Hosting.Tests;

/// <summary>Generic hosts over in-memory configuration, and sinks with STARTTLS and AUTH, for the hosting tests.</summary>
internal static class TestHost
{
    public const string User = "app@test";
    public const string Password = "sink-secret";

    /// <summary>A sink with PIPELINING, STARTTLS and AUTH PLAIN/LOGIN for <see cref="User"/>.</summary>
    public static SmtpSink StartSink(TimeSpan replyDelay = default) => SmtpSink.Start(new SmtpSinkOptions
    {
        Extensions = EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.EnhancedStatusCodes | EhloExtensions.StartTls | EhloExtensions.Auth,
        AuthMechanisms = SaslMechanismFlags.Plain | SaslMechanismFlags.Login,
        Users = new Dictionary<string, string> { [User] = Password },
        ReplyDelay = replyDelay,
    });

    /// <summary>The configuration keys of a sender for <paramref name="sink"/> under <paramref name="section"/>: STARTTLS (certificate not checked) and AUTH.</summary>
    public static Dictionary<string, string?> SenderKeys(SmtpSink sink, string section = "Smtp", string password = Password, int connections = 2) => new()
    {
        [$"{section}:Host"] = "127.0.0.1",
        [$"{section}:Port"] = sink.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"{section}:Connections"] = connections.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"{section}:Connection:EhloName"] = "client.test",
        [$"{section}:Connection:TlsMode"] = "StartTlsRequired",
        [$"{section}:Connection:Tls:SkipCertificateValidation"] = "true",
        [$"{section}:Connection:Credentials:UserName"] = User,
        [$"{section}:Connection:Credentials:Secret"] = password,
        [$"{section}:Connection:Credentials:Mechanism"] = "Plain",
    };

    /// <summary>A host whose configuration is <paramref name="keys"/>, logging at Debug into <paramref name="logs"/>.</summary>
    public static IHost Build(
        IEnumerable<KeyValuePair<string, string?>> keys,
        Action<IServiceCollection, IConfiguration> register,
        CapturingLoggerProvider? logs = null,
        TimeSpan? shutdownTimeout = null)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(keys);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        if (shutdownTimeout is { } timeout)
        {
            builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = timeout);
        }

        register(builder.Services, builder.Configuration);
        return builder.Build();
    }

    public static SmtpEnvelope Envelope() => new("app@test", "friend@test");

    /// <summary>A message whose body line carries <c>BODY-LINE</c>, to find it in a transcript.</summary>
    public static byte[] Message(int i) => Encoding.ASCII.GetBytes(
        $"From: app@test\r\nTo: friend@test\r\nSubject: hosting {i}\r\nMessage-ID: <m{i}@test>\r\n\r\nBODY-LINE of message {i}\r\n");
}
