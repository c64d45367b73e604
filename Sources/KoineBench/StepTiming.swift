import Foundation
import KoineCluster
import KoineTensor
import KoineTrainer

/// Times training iterations the way every `koine bench` of a whole game
/// does: `rounds` rounds of `steps` iterations after a barrier, the slowest
/// rank's time per round, the best round kept with the all-reduce wait it
/// held; and a blocking all-reduce of the shared encoder's gradient alone.
public struct StepTiming {
    /// Seconds of the best round, and the all-reduce wait within it.
    public var seconds = Double.infinity
    public var allreduceSeconds = 0.0
    /// Seconds of one blocking all-reduce of the same buffer (0 at one rank,
    /// or with nothing shared).
    public var rawAllreduceSeconds = 0.0

    /// `iteration` runs one step and returns the seconds it waited for the all-reduce.
    public init(communicator: Communicator, steps: Int, rounds: Int, gradients: UnsafeMutablePointer<Float>?, count: Int,
         iteration: () throws -> Double) throws {
        for _ in 0..<rounds {
            try communicator.barrier()
            var waited = 0.0
            let started = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { waited += try iteration() }
            var elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            try communicator.allreduceMax(&elapsed, count: 1)
            try communicator.allreduceMax(&waited, count: 1)
            if elapsed < seconds { seconds = elapsed; allreduceSeconds = waited }
        }
        if communicator.size > 1, let gradients, count > 0 {
            try communicator.barrier()
            let started = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { try communicator.allreduceAverage(gradients, count: count) }
            rawAllreduceSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 / Double(steps)
            try communicator.allreduceMax(&rawAllreduceSeconds, count: 1)
        }
    }
}

extension StepTiming {
    /// Trains `population` `warmup` steps untimed, then one step with each of
    /// its products handed to `record`, then times it as above; the shared
    /// encoder's gradient, if any, is the buffer all-reduced alone.
    init(training population: Population, communicator: Communicator, warmup: Int, steps: Int, rounds: Int,
         record: @escaping (GemmShape) -> Void) throws {
        let shared = population.sharedEncoder?.module.parameters
        var step = 0
        /// One training step; the seconds it waited for the all-reduce.
        func iteration() throws -> Double {
            defer { step += 1 }
            return try population.trainStep(step).allreduceSeconds
        }
        for _ in 0..<warmup { _ = try iteration() }
        BLAS.recorder = record
        _ = try iteration()
        BLAS.recorder = nil
        try self.init(communicator: communicator, steps: steps, rounds: rounds, gradients: shared?.gradients,
                      count: shared?.count ?? 0, iteration: iteration)
    }
}
