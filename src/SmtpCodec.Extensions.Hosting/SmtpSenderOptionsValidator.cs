using Microsoft.Extensions.Options;
using SmtpCodec.Client;

namespace SmtpCodec.Extensions.Hosting;

/// <summary>
/// Validates one sender's options when the host starts, with <see cref="SmtpSenderOptions.Validate"/>: each
/// problem names its configuration key, under the bound section's path when there is one (<c>Smtp:Port</c>).
/// </summary>
internal sealed class SmtpSenderOptionsValidator(string name, string? configurationPath) : IValidateOptions<SmtpSenderOptions>
{
    public ValidateOptionsResult Validate(string? name1, SmtpSenderOptions options)
    {
        if ((name1 ?? Options.DefaultName) != name)
        {
            return ValidateOptionsResult.Skip;
        }

        IReadOnlyList<string> problems = options.Validate();
        if (problems.Count == 0)
        {
            return ValidateOptionsResult.Success;
        }

        string sender = name.Length == 0 ? "The SmtpSender's options" : $"The options of the SmtpSender '{name}'";
        string prefix = string.IsNullOrEmpty(configurationPath) ? "" : configurationPath + ":";
        return ValidateOptionsResult.Fail(problems.Select(problem => $"{sender} are invalid: {prefix}{problem}"));
    }
}
