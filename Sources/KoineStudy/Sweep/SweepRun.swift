/// One run of a sweep as its index records it.
public struct SweepRun: Codable, Equatable {
    public enum Status: String, Codable {
        /// Not started, or started and not finished (a rerun resumes or restarts it).
        case pending
        case running
        /// summary.json is written.
        case done
        /// Its `koine train` failed or was killed; a rerun resumes or restarts it.
        case failed
    }

    /// The run's directory inside the sweep: condition and seed.
    public var name: String
    /// Runs of one condition differ only in their seed.
    public var condition: String
    public var config: String
    public var seed: Int
    /// Every `--set` the run gets, the seed's last.
    public var overrides: [String]
    /// The run directory, relative to the sweep directory.
    public var directory: String
    public var status: Status

    public init(name: String, condition: String, config: String, seed: Int, overrides: [String], status: Status = .pending) {
        self.name = name
        self.condition = condition
        self.config = config
        self.seed = seed
        self.overrides = overrides
        self.directory = name
        self.status = status
    }

    /// Whether `other` is the same work (status aside).
    public func sameWork(as other: SweepRun) -> Bool {
        condition == other.condition && config == other.config && seed == other.seed && overrides == other.overrides
    }
}
