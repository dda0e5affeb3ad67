using System.Diagnostics.Metrics;
using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Readme;

/// <summary>README.md's "Telemetry" section lists every instrument of the meter, with its kind and unit, and no other.</summary>
public sealed class ReadmeTelemetryTests
{
    [Fact]
    public void TheTelemetryTableListsEveryInstrumentWithItsKindAndUnit()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md"));
        int start = readme.IndexOf("## Telemetry\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no section '## Telemetry'");
        int end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        string section = readme[start..(end < 0 ? readme.Length : end)];

        var instruments = new List<Instrument>();
        Assert.Equal(SmtpTelemetry.Name, SmtpTelemetry.ActivitySource.Name);
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == SmtpTelemetry.Name)
                {
                    instruments.Add(instrument);
                }
            };
            listener.Start();
        }

        Assert.NotEmpty(instruments);
        foreach (Instrument instrument in instruments)
        {
            string kind = instrument.GetType().Name.Split('`')[0];
            Assert.Contains($"| `{instrument.Name}` | {kind} | `{instrument.Unit}` |", section, StringComparison.Ordinal);
        }

        int rows = section.Split('\n').Count(line => line.StartsWith("| `smtpcodec.client.", StringComparison.Ordinal));
        Assert.Equal(instruments.Count, rows);
        Assert.Contains("| `smtp.send` |", section, StringComparison.Ordinal);
        Assert.Contains("| `smtp.connect` |", section, StringComparison.Ordinal);
    }
}
