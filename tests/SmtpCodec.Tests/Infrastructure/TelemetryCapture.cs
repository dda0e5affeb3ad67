using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using SmtpCodec.Client;

namespace SmtpCodec.Tests.Infrastructure;

/// <summary>
/// Listens to the "SmtpCodec.Client" meter and activity source and keeps only what concerns one server: measurements
/// and spans whose server.address (and server.port, when given) are the test's own, so that tests running at the same
/// time in the process do not disturb each other's figures.
/// </summary>
internal sealed class TelemetryCapture : IDisposable
{
    private readonly string _address;
    private readonly int? _port;
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _spans;
    private readonly ConcurrentQueue<Measured> _measurements = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();

    public TelemetryCapture(string address, int? port = null)
    {
        _address = address;
        _port = port;
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SmtpTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Keep(instrument, value, tags));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Keep(instrument, value, tags));
        _meters.Start();
        _spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SmtpTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Matches(activity.GetTagItem("server.address"), activity.GetTagItem("server.port")))
                {
                    _stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_spans);
    }

    /// <summary>One measurement: the instrument, the value, and its tags.</summary>
    public sealed record Measured(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
    {
        public object? this[string tag] => Tags.GetValueOrDefault(tag);
    }

    /// <summary>The measurements of one instrument so far.</summary>
    public IReadOnlyList<Measured> Of(string instrument) => [.. _measurements.Where(m => m.Instrument == instrument)];

    /// <summary>The sum of one counter's measurements so far.</summary>
    public double Sum(string instrument) => Of(instrument).Sum(m => m.Value);

    /// <summary>The spans of that name stopped so far.</summary>
    public IReadOnlyList<Activity> Spans(string name) => [.. _stopped.Where(a => a.OperationName == name)];

    /// <summary>Asks the observable instruments (the queue gauge) for their values now.</summary>
    public void Observe() => _meters.RecordObservableInstruments();

    /// <summary>Waits (bounded) until a condition on what was captured holds; metrics are recorded before a delivery completes, spans may trail.</summary>
    public async Task UntilAsync(Func<TelemetryCapture, bool> condition)
    {
        for (int i = 0; i < 200 && !condition(this); i++)
        {
            await Task.Delay(10);
        }
    }

    public void Dispose()
    {
        _spans.Dispose();
        _meters.Dispose();
    }

    private void Keep<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        where T : struct
    {
        object? address = null;
        object? port = null;
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            address = tag.Key == "server.address" ? tag.Value : address;
            port = tag.Key == "server.port" ? tag.Value : port;
        }

        if (Matches(address, port))
        {
            var copied = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                copied[tag.Key] = tag.Value;
            }

            _measurements.Enqueue(new Measured(instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), copied));
        }
    }

    private bool Matches(object? address, object? port) => address as string == _address && (_port is null || port as int? == _port);
}
