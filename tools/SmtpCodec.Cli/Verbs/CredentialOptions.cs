using System.CommandLine;
using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Protocol;

namespace SmtpCodec.Cli.Verbs;

/// <summary>--user, --password-env and --auth, shared by the verbs that log in (send, blast).</summary>
internal sealed class CredentialOptions
{
    public Option<string?> User { get; } = new("--user") { Description = "User name for AUTH." };

    public Option<string?> PasswordEnv { get; } = new("--password-env") { Description = "Name of the environment variable holding the password (the access token for XOAUTH2/OAUTHBEARER)." };

    public Option<string?> Auth { get; } = new("--auth") { Description = "PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, CRAM-MD5 or SCRAM-SHA-256. Default: the best one the server offers." };

    public void AddTo(Command command)
    {
        command.Options.Add(User);
        command.Options.Add(PasswordEnv);
        command.Options.Add(Auth);
    }

    /// <summary>The credentials the options name (null when none of them is given), or false with one clear sentence.</summary>
    public static bool TryCreate(string? user, string? passwordEnv, string? auth, out SmtpCredentials? credentials, out string? problem)
    {
        credentials = null;
        problem = null;
        if (user is null && passwordEnv is null && auth is null)
        {
            return true;
        }

        if (user is null || passwordEnv is null)
        {
            problem = "AUTH needs both --user and --password-env.";
            return false;
        }

        string? secret = Environment.GetEnvironmentVariable(passwordEnv);
        if (string.IsNullOrEmpty(secret))
        {
            problem = $"The environment variable '{passwordEnv}' named by --password-env is not set.";
            return false;
        }

        SaslMechanism mechanism = SaslMechanism.None;
        if (auth is not null && (!SaslMechanismNames.TryParse(Encoding.ASCII.GetBytes(auth), out mechanism) || !SaslMechanismNames.IsClientSupported(mechanism)))
        {
            problem = $"--auth '{auth}' is not one of PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, CRAM-MD5, SCRAM-SHA-256.";
            return false;
        }

        credentials = new SmtpCredentials(user, secret, mechanism);
        return true;
    }
}
