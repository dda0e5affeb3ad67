using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SmtpCodec.Client;
using SmtpCodec.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="SmtpSender"/> pools in a service collection.</summary>
public static class SmtpSenderServiceCollectionExtensions
{
    /// <summary>
    /// Registers the unnamed sender (an ordinary singleton <see cref="SmtpSender"/>) with options bound from a
    /// configuration section (keys are the property names: <c>Host</c>, <c>Port</c>, <c>Connections</c>,
    /// <c>Connection:TlsMode</c>, <c>Connection:Credentials:UserName</c>, ...), validated when the host starts, a
    /// hosted service that opens its connections at start and drains its queue at stop, and an ILogger transcript.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section to bind, such as <c>configuration.GetSection("Smtp")</c>.</param>
    /// <returns>A builder for further settings of this sender.</returns>
    public static SmtpSenderBuilder AddSmtpSender(this IServiceCollection services, IConfiguration configuration) =>
        AddSmtpSender(services, Options.Options.DefaultName, configuration);

    /// <summary>Registers the unnamed sender (an ordinary singleton <see cref="SmtpSender"/>) with options set in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; runs after any configuration binding.</param>
    /// <returns>A builder for further settings of this sender.</returns>
    public static SmtpSenderBuilder AddSmtpSender(this IServiceCollection services, Action<SmtpSenderOptions> configure) =>
        AddSmtpSender(services, Options.Options.DefaultName, configure);

    /// <summary>
    /// Registers a named sender as a keyed singleton (<c>[FromKeyedServices("name")] SmtpSender</c>) with its own
    /// options bound from a configuration section; see <see cref="AddSmtpSender(IServiceCollection, IConfiguration)"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The sender's name: its service key and its options' name.</param>
    /// <param name="configuration">The section to bind.</param>
    /// <returns>A builder for further settings of this sender.</returns>
    public static SmtpSenderBuilder AddSmtpSender(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        SmtpSenderBuilder builder = Register(services, name, (configuration as IConfigurationSection)?.Path);
        services.AddOptions<SmtpSenderOptions>(name).Configure(options => SmtpSenderConfiguration.Apply(configuration, options));
        services.AddOptions<SmtpSenderHostingOptions>(name).Bind(configuration.GetSection("Hosting"));
        return builder;
    }

    /// <summary>Registers a named sender as a keyed singleton (<c>[FromKeyedServices("name")] SmtpSender</c>) with options set in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The sender's name: its service key and its options' name.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder for further settings of this sender.</returns>
    public static SmtpSenderBuilder AddSmtpSender(this IServiceCollection services, string name, Action<SmtpSenderOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        SmtpSenderBuilder builder = Register(services, name, configurationPath: null);
        services.AddOptions<SmtpSenderOptions>(name).Configure(configure);
        return builder;
    }

    private static SmtpSenderBuilder Register(IServiceCollection services, string name, string? configurationPath)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        if (services.Any(d => d.ServiceType == typeof(SmtpSenderMarker) && Equals(d.ServiceKey, name)))
        {
            throw new InvalidOperationException(name.Length == 0
                ? "The unnamed SmtpSender is already registered; give further senders names."
                : $"An SmtpSender named '{name}' is already registered.");
        }

        services.AddKeyedSingleton(name, new SmtpSenderMarker());
        services.AddOptions<SmtpSenderOptions>(name).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SmtpSenderOptions>>(new SmtpSenderOptionsValidator(name, configurationPath));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<SmtpSenderOptions>, SmtpSenderLogging>());
        services.AddOptions<SmtpSenderHostingOptions>(name);
        if (name.Length == 0)
        {
            services.AddSingleton(provider => Create(provider, name));
        }
        else
        {
            services.AddKeyedSingleton(name, (provider, _) => Create(provider, name));
        }

        services.AddSingleton<IHostedService>(provider => new SmtpSenderHostedService(
            name,
            name.Length == 0 ? provider.GetRequiredService<SmtpSender> : () => provider.GetRequiredKeyedService<SmtpSender>(name),
            provider.GetRequiredService<IOptionsMonitor<SmtpSenderHostingOptions>>().Get(name),
            (provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(SmtpSenderLogging.Category)));
        return new SmtpSenderBuilder(services, name);
    }

    private static SmtpSender Create(IServiceProvider provider, string name) =>
        new(provider.GetRequiredService<IOptionsMonitor<SmtpSenderOptions>>().Get(name));

    /// <summary>Marks a sender name as registered, so that a second registration of the same name fails clearly.</summary>
    private sealed class SmtpSenderMarker;
}
