using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sink;

/// <summary>
/// A fault the sink injects: at a <see cref="SmtpSinkFaultPoint"/>, with a probability, a 4xx or 5xx reply,
/// 421 and close, or close without a reply; or a fixed delay of the reply. Written on the command line as
/// <c>COMMAND:KIND=VALUE</c> (see <see cref="TryParse"/>), e.g. <c>RCPT:4xx=0.05</c>, <c>EOD:drop=0.01</c>, <c>*:delay=5</c>.
/// </summary>
public sealed record SmtpSinkFault
{
    /// <summary>The longest delay accepted: one hour.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromHours(1);

    /// <summary>A reply fault: <paramref name="kind"/> strikes each reply at <paramref name="point"/> with the probability.</summary>
    /// <param name="point">Where it strikes.</param>
    /// <param name="kind">Any kind but <see cref="SmtpSinkFaultKind.Delay"/>.</param>
    /// <param name="probability">From 0 to 1.</param>
    /// <exception cref="ArgumentException">The kind is Delay, the point is unknown or the probability out of range.</exception>
    public SmtpSinkFault(SmtpSinkFaultPoint point, SmtpSinkFaultKind kind, double probability)
    {
        if (kind == SmtpSinkFaultKind.Delay || !Enum.IsDefined(kind))
        {
            throw new ArgumentException($"{kind} is not a reply fault; a delay is made with the TimeSpan constructor.", nameof(kind));
        }

        if (!(probability is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "A fault's probability is from 0 to 1.");
        }

        Point = point;
        Kind = kind;
        Probability = probability;
    }

    /// <summary>A delay: every reply at <paramref name="point"/> leaves <paramref name="delay"/> later (see <see cref="SmtpSinkFaultKind.Delay"/>).</summary>
    /// <param name="point">Where it strikes.</param>
    /// <param name="delay">From zero to <see cref="MaxDelay"/>.</param>
    /// <exception cref="ArgumentException">The point is unknown or the delay out of range.</exception>
    public SmtpSinkFault(SmtpSinkFaultPoint point, TimeSpan delay)
    {
        if (delay < TimeSpan.Zero || delay > MaxDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "A fault's delay is from zero to one hour.");
        }

        Point = point;
        Kind = SmtpSinkFaultKind.Delay;
        Probability = 1;
        Delay = delay;
    }

    /// <summary>Where it strikes.</summary>
    public SmtpSinkFaultPoint Point { get; }

    /// <summary>What it does.</summary>
    public SmtpSinkFaultKind Kind { get; }

    /// <summary>How likely each reply at <see cref="Point"/> is struck (1 for a delay).</summary>
    public double Probability { get; }

    /// <summary>For <see cref="SmtpSinkFaultKind.Delay"/>: how much later the reply leaves; zero otherwise.</summary>
    public TimeSpan Delay { get; }

    /// <summary>Reads <c>COMMAND:KIND=VALUE</c>, throwing on a bad spec.</summary>
    /// <param name="spec">The spec, as <see cref="TryParse"/> describes it.</param>
    /// <returns>The fault.</returns>
    /// <exception cref="FormatException">The spec is malformed; the message names it and says why.</exception>
    public static SmtpSinkFault Parse(string spec) =>
        TryParse(spec, out SmtpSinkFault? fault, out string? error) ? fault : throw new FormatException(error);

    /// <summary>
    /// Reads <c>COMMAND:KIND=VALUE</c>. COMMAND is a verb the sink answers (EHLO, HELO, MAIL, RCPT, DATA,
    /// BDAT, RSET, VRFY, EXPN, HELP, NOOP, QUIT, STARTTLS, AUTH), <c>EOD</c> for the end of a message, or
    /// <c>*</c> for all of them; KIND is <c>4xx</c>, <c>5xx</c>, <c>421</c> or <c>drop</c> with a probability
    /// from 0 to 1, or <c>delay</c> with whole milliseconds. Case does not matter.
    /// </summary>
    /// <param name="spec">The spec.</param>
    /// <param name="fault">The fault, when the spec is good.</param>
    /// <param name="error">A sentence naming the spec and what is wrong with it, when it is not.</param>
    /// <returns>Whether the spec is good.</returns>
    public static bool TryParse(string? spec, [NotNullWhen(true)] out SmtpSinkFault? fault, [NotNullWhen(false)] out string? error)
    {
        fault = null;
        error = null;
        if (string.IsNullOrWhiteSpace(spec))
        {
            error = "a fault spec is empty; expected COMMAND:KIND=VALUE, e.g. RCPT:4xx=0.05";
            return false;
        }

        int colon = spec.IndexOf(':', StringComparison.Ordinal);
        int equals = colon < 0 ? -1 : spec.IndexOf('=', colon + 1);
        if (colon <= 0 || equals < 0)
        {
            error = $"fault '{spec}': expected COMMAND:KIND=VALUE, e.g. RCPT:4xx=0.05 or '*:delay=5'";
            return false;
        }

        string command = spec[..colon];
        string kindText = spec[(colon + 1)..equals];
        string value = spec[(equals + 1)..];
        if (!TryParsePoint(command, out SmtpSinkFaultPoint point))
        {
            error = $"fault '{spec}': '{command}' is not a command the sink answers; use a verb such as MAIL or RCPT, EOD (end of data) or *";
            return false;
        }

        SmtpSinkFaultKind? kind = kindText.ToUpperInvariant() switch
        {
            "4XX" => SmtpSinkFaultKind.TransientReply,
            "5XX" => SmtpSinkFaultKind.PermanentReply,
            "421" => SmtpSinkFaultKind.ShutDown,
            "DROP" => SmtpSinkFaultKind.Drop,
            "DELAY" => SmtpSinkFaultKind.Delay,
            _ => null,
        };
        if (kind is null)
        {
            error = $"fault '{spec}': '{kindText}' is not a fault kind; use 4xx, 5xx, 421, drop or delay";
            return false;
        }

        if (kind == SmtpSinkFaultKind.Delay)
        {
            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long milliseconds) || milliseconds > MaxDelay.TotalMilliseconds)
            {
                error = $"fault '{spec}': a delay is whole milliseconds from 0 to {MaxDelay.TotalMilliseconds:F0}";
                return false;
            }

            fault = new SmtpSinkFault(point, TimeSpan.FromMilliseconds(milliseconds));
            return true;
        }

        // NaN and infinities parse whatever the styles: the range check refuses them.
        if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double probability) || !(probability is >= 0 and <= 1))
        {
            error = $"fault '{spec}': a probability is a number from 0 to 1, e.g. 0.05";
            return false;
        }

        fault = new SmtpSinkFault(point, kind.Value, probability);
        return true;
    }

    /// <summary>The spec form, <c>COMMAND:KIND=VALUE</c>, which <see cref="Parse"/> reads back.</summary>
    /// <returns>The spec.</returns>
    public override string ToString()
    {
        string command = Point.ToString();
        string kind = Kind switch
        {
            SmtpSinkFaultKind.TransientReply => "4xx",
            SmtpSinkFaultKind.PermanentReply => "5xx",
            SmtpSinkFaultKind.ShutDown => "421",
            SmtpSinkFaultKind.Drop => "drop",
            _ => "delay",
        };
        string value = Kind == SmtpSinkFaultKind.Delay
            ? ((long)Delay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)
            : Probability.ToString("R", CultureInfo.InvariantCulture);
        return $"{command}:{kind}={value}";
    }

    private static bool TryParsePoint(string command, out SmtpSinkFaultPoint point)
    {
        point = SmtpSinkFaultPoint.Any;
        if (command == "*")
        {
            return true;
        }

        if (command.Equals("EOD", StringComparison.OrdinalIgnoreCase))
        {
            point = SmtpSinkFaultPoint.EndOfData;
            return true;
        }

        // The verbs come from the generated matcher, as the sink's own command reading does.
        if (command.Length > 16 || !Ascii.IsValid(command) || !SmtpCommandVerbs.TryParse(Encoding.ASCII.GetBytes(command), out SmtpCommand verb))
        {
            return false;
        }

        if (!SmtpSinkFaultPoint.IsPoint(verb))
        {
            return false;
        }

        point = SmtpSinkFaultPoint.For(verb);
        return true;
    }
}
