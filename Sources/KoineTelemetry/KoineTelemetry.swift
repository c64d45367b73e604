// KoineTelemetry: arrives with its issue.
