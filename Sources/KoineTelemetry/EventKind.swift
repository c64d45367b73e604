/// The version of the event layout; the collector rejects frames with any other `v`.
public let telemetrySchemaVersion = 1

/// What an event reports. The raw value is the `kind` field on the wire and in the database.
public enum EventKind: String, CaseIterable, Sendable {
    case runStarted = "run_started"
    case step
    case eval
    case reset
    case easeOfTeaching = "ease_of_teaching"
    case allreduce
    /// A population-based training round, as one member saw it: its fitness,
    /// whom it copied, its hyperparameters before and after.
    case pbt
    case heartbeat
    case runFinished = "run_finished"
}
