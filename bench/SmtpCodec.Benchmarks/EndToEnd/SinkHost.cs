using System.Globalization;
using SmtpCodec.Sink;

namespace SmtpCodec.Benchmarks.EndToEnd;

/// <summary>
/// <c>e2e-sink [--reply-delay-ms N]</c>: the embedded sink in a process of its own, so that its work and its
/// allocations are not the client's. Prints <c>listening on HOST:PORT</c>; stops when standard input closes
/// or says <c>stop</c>, and then prints its counters.
/// </summary>
internal static class SinkHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        int delayMs = 0;
        if (args.Length == 2 && args[0] == "--reply-delay-ms" && int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out int parsed))
        {
            delayMs = parsed;
        }
        else if (args.Length != 0)
        {
            await Console.Error.WriteLineAsync("usage: e2e-sink [--reply-delay-ms N]").ConfigureAwait(false);
            return 2;
        }

        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { ReplyDelay = TimeSpan.FromMilliseconds(delayMs), MaxConnections = 256 });
        Console.WriteLine($"listening on {sink.EndPoint}");
        Console.Out.Flush();
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is string line && line != "stop")
        {
        }

        Console.WriteLine($"messages {sink.Messages} connections {sink.Connections} faults {sink.SessionFaults}");
        if (sink.LastSessionFault is not null)
        {
            await Console.Error.WriteLineAsync(sink.LastSessionFault.ToString()).ConfigureAwait(false);
        }

        return sink.SessionFaults == 0 ? 0 : 1;
    }
}
