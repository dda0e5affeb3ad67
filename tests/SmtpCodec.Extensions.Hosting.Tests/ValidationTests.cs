using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SmtpCodec.Client;

namespace SmtpCodec.Extensions.Hosting.Tests;

public sealed class ValidationTests
{
    [Theory]
    [InlineData("Smtp:Host", "", "Smtp:Host: the server's host name or address is required")]
    [InlineData("Smtp:Port", "0", "Smtp:Port: 0 is not a port (1 to 65535)")]
    [InlineData("Smtp:Port", "70000", "Smtp:Port: 70000 is not a port (1 to 65535)")]
    [InlineData("Smtp:Connections", "0", "Smtp:Connections: 0 is less than 1")]
    [InlineData("Smtp:Connection:TlsMode", "9", "Smtp:Connection:TlsMode: 9 is not a TLS mode")]
    [InlineData("Smtp:Connection:TlsMode", "Sometimes", "Smtp:Connection:TlsMode")]
    [InlineData("Smtp:Connection:Timeouts:Greeting", "-00:00:01", "Smtp:Connection:Timeouts:Greeting: -00:00:01 is not a positive time")]
    public async Task ABadSettingFailsTheHostsStartNamingItsKey(string key, string value, string expected)
    {
        var keys = new Dictionary<string, string?> { ["Smtp:Host"] = "127.0.0.1", ["Smtp:Port"] = "25", [key] = value };
        using IHost host = TestHost.Build(keys, (services, configuration) => services.AddSmtpSender(configuration.GetSection("Smtp")));

        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANamedSendersProblemNamesTheSender()
    {
        var keys = new Dictionary<string, string?> { ["Bulk:Host"] = "127.0.0.1", ["Bulk:Port"] = "-1" };
        using IHost host = TestHost.Build(keys, (services, configuration) => services.AddSmtpSender("bulk", configuration.GetSection("Bulk")));

        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains("The options of the SmtpSender 'bulk' are invalid: Bulk:Port: -1 is not a port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALibraryUserGetsTheSameMessageFromTheConstructor()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new SmtpSender(new SmtpSenderOptions
        {
            Host = "smtp.example.test",
            Port = 99999,
            QueueCapacity = 0,
            Connection = new SmtpConnectionOptions { TlsMode = (SmtpTlsMode)42 },
        }));

        Assert.Equal("Port", error.ParamName);
        Assert.Contains("Port: 99999 is not a port (1 to 65535).", error.Message, StringComparison.Ordinal);
        Assert.Contains("QueueCapacity: 0 is less than 1.", error.Message, StringComparison.Ordinal);
        Assert.Contains("Connection:TlsMode: 42 is not a TLS mode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateListsEveryProblemAndNothingForGoodOptions()
    {
        var options = new SmtpSenderOptions
        {
            Host = "",
            Port = 25,
            Connections = -1,
            MaxAttempts = 0,
            RetryDelay = TimeSpan.FromSeconds(-1),
            MaxMessagesPerSecond = double.NaN,
        };
        options.Connection.Timeouts.EndOfData = TimeSpan.Zero;

        Assert.Equal(
            ["Host", "Connections", "MaxAttempts", "MaxMessagesPerSecond", "RetryDelay", "Connection:Timeouts:EndOfData"],
            options.Validate().Select(p => p[..p.IndexOf(": ", StringComparison.Ordinal)]));
        Assert.Empty(new SmtpSenderOptions { Host = "smtp.example.test", Port = 587 }.Validate());
        Assert.Empty(new SmtpSenderOptions { ConnectAsync = _ => throw new InvalidOperationException() }.Validate());
    }

    [Fact]
    public void AddingTheSameNameTwiceIsRefused()
    {
        var services = new ServiceCollection();
        services.AddSmtpSender("bulk", options => options.Host = "a");

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => services.AddSmtpSender("bulk", options => options.Host = "b"));
        Assert.Contains("'bulk' is already registered", error.Message, StringComparison.Ordinal);
    }
}
