/// What `koine launch` was asked to run on every rank, turned into the
/// argument list of one rank's `koine` process.
public struct LaunchRequest: Equatable {
    /// The subcommand every rank runs: `train`, or `doctor` to check the setup.
    public var command: String
    public var config: String?
    /// `key=value` overrides, each passed on as `--set key=value`.
    public var overrides: [String]
    public var out: String?
    public var resume: String?
    /// The telemetry endpoint ranks connect to; nil keeps the config's own.
    public var telemetry: String?
    /// Arguments after `--`, passed through untouched.
    public var passthrough: [String]

    public init(
        command: String = "train", config: String? = nil, overrides: [String] = [],
        out: String? = nil, resume: String? = nil, telemetry: String? = nil, passthrough: [String] = []
    ) {
        self.command = command
        self.config = config
        self.overrides = overrides
        self.out = out
        self.resume = resume
        self.telemetry = telemetry
        self.passthrough = passthrough
    }

    /// The arguments after the `koine` executable on every rank, in the
    /// spelling of `koine train`'s own options.
    public var programArguments: [String] {
        var arguments = [command]
        if let config { arguments += ["--config", config] }
        for override in overrides { arguments += ["--set", override] }
        if let out { arguments += ["--out", out] }
        if let resume { arguments += ["--resume", resume] }
        if let telemetry { arguments += ["--telemetry", telemetry] }
        return arguments + passthrough
    }

    /// The config file, whether given as `--config` or after `--`.
    public var configFile: String? { config ?? passthroughValue(of: "--config") }

    /// The telemetry endpoint, whether given as `--telemetry` or after `--`
    /// (as `--telemetry E` or `--set telemetry.endpoint=E`); nil when neither.
    public var telemetryEndpoint: String? {
        if let telemetry { return telemetry }
        if let value = passthroughValue(of: "--telemetry") { return value }
        let key = "telemetry.endpoint="
        return allOverrides.last { $0.hasPrefix(key) }.map { String($0.dropFirst(key.count)) }
    }

    /// Every `key=value` override, from `--set` and from after `--`, in order.
    public var allOverrides: [String] {
        var settings = overrides
        for (index, argument) in passthrough.enumerated() {
            if argument == "--set", index + 1 < passthrough.count { settings.append(passthrough[index + 1]) }
            if argument.hasPrefix("--set=") { settings.append(String(argument.dropFirst("--set=".count))) }
        }
        return settings
    }

    /// The value after `option` (or in `option=value`) among the pass-through arguments.
    private func passthroughValue(of option: String) -> String? {
        var found: String?
        for (index, argument) in passthrough.enumerated() {
            if argument == option, index + 1 < passthrough.count { found = passthrough[index + 1] }
            if argument.hasPrefix(option + "=") { found = String(argument.dropFirst(option.count + 1)) }
        }
        return found
    }
}
