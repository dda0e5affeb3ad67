using Microsoft.Extensions.DependencyInjection;
using SmtpCodec.Client;

namespace SmtpCodec.Extensions.Hosting;

/// <summary>Further settings of one registered sender; returned by <c>AddSmtpSender</c>.</summary>
/// <param name="services">The service collection the sender is registered in.</param>
/// <param name="name">The sender's name (empty for the unnamed sender).</param>
public sealed class SmtpSenderBuilder(IServiceCollection services, string name)
{
    /// <summary>The service collection the sender is registered in.</summary>
    public IServiceCollection Services { get; } = services;

    /// <summary>The sender's name: its service key and its options' name (empty for the unnamed sender).</summary>
    public string Name { get; } = name;

    /// <summary>Sets the sender's options in code, after any configuration binding (delegates, certificates, credentials providers).</summary>
    /// <param name="configure">Sets the options.</param>
    /// <returns>This builder.</returns>
    public SmtpSenderBuilder Configure(Action<SmtpSenderOptions> configure)
    {
        Services.AddOptions<SmtpSenderOptions>(Name).Configure(configure);
        return this;
    }

    /// <summary>Sets how the hosted service opens and stops the sender (also bound from the section's <c>Hosting</c> keys).</summary>
    /// <param name="configure">Sets the hosting options.</param>
    /// <returns>This builder.</returns>
    public SmtpSenderBuilder ConfigureHosting(Action<SmtpSenderHostingOptions> configure)
    {
        Services.AddOptions<SmtpSenderHostingOptions>(Name).Configure(configure);
        return this;
    }
}
