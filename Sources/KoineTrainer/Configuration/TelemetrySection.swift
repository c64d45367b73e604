/// The `telemetry` section: where every rank sends its events, and how often.
public struct TelemetrySection {
    public var endpoint = ""
    public var every = 0
}
