import ArgumentParser

/// What names a run, shared by `koine train` and `koine launch` (which hands
/// them to every rank's `koine train`).
struct RunOptions: ParsableArguments {
    @Option(name: .long, help: "The YAML configuration file (with --resume, optional: it must match the run's).")
    var config: String?

    @Option(name: .customLong("set"), help: "Override a configuration key, e.g. --set train.steps=1000 (repeatable).")
    var overrides: [String] = []

    @Option(name: .long, help: "The run directory to create (default runs/<config name>-<time>; rank 0 writes it).")
    var out: String?

    @Option(name: .long, help: "Continue the run in DIR from its newest complete checkpoint (--set train.steps=N extends it).")
    var resume: String?

    @Option(name: .long, help: "Where to send telemetry: tcp://HOST:PORT, ipc://PATH or none (overrides telemetry.endpoint).")
    var telemetry: String?
}
