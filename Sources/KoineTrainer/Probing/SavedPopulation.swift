import Foundation
import KoineCluster
import KoineGame
import KoineTensor

/// A run's population as its newest complete checkpoint holds it, rebuilt in
/// this process, one rank at a time: for measuring trained agents after the
/// run (`koine crossplay`, `koine probe`), whatever the number of ranks that trained them.
public struct SavedPopulation {
    public let population: Population
    public let step: Int
    public let worldSize: Int

    /// Rank `rank`'s population of the run in `directory`; a directory that
    /// is not a run, or holds no complete checkpoint, is a `ConfigurationError`.
    public init(run directory: String, rank: Int = 0) throws {
        let url = URL(fileURLWithPath: directory)
        let config = url.appendingPathComponent("config.yaml").path
        guard FileManager.default.fileExists(atPath: config) else {
            throw ConfigurationError("\(directory): not a koine run directory (no config.yaml)")
        }
        let configuration = try Configuration.load(file: config)
        let store = CheckpointStore(run: url)
        guard let newest = store.steps().filter(\.complete).map(\.step).max() else {
            throw ConfigurationError("\(directory): no complete checkpoint (train.checkpoint.every 0?); the trained agents are not saved")
        }
        // A damaged, foreign or forged checkpoint is bad input like any other:
        // one line naming the file, exit 2 (it was exit 1 and a Swift error's text).
        func checked<T>(_ body: () throws -> T) throws -> T {
            do { return try body() } catch let fault as CheckpointFault {
                throw ConfigurationError("\(fault.description); the run's newest complete checkpoint cannot be used")
            }
        }
        let worldSize = try checked { try store.worldSize(step: newest) }
        guard (0..<worldSize).contains(rank) else {
            throw ConfigurationError("\(directory): rank \(rank): the run has ranks 0 to \(worldSize - 1)")
        }
        let payload = try checked { try store.read(step: newest, rank: rank, worldSize: worldSize, configuration: configuration.identity) }
        // One process plays the rank's agents: no games cross ranks here.
        let population = try Population(configuration: configuration, communicator: SingleProcessCommunicator(),
                                        random: Random(seed: UInt64(configuration.seed)))
        var reader = CheckpointReader(payload, file: store.file(step: newest, rank: rank).path)
        try checked {
            _ = try reader.string()
            try population.restore(from: &reader)
        }
        self.population = population
        // Tables of every object are encoded once, now. A game with scenes
        // encodes each scene as it plays it: a forward with none selected would
        // encode nothing, and move batch norm's running statistics to NaN.
        if population.game.scenes == nil {
            for encoder in population.encoders { encoder.forward() }
        }
        step = newest
        self.worldSize = worldSize
    }
}
