import Foundation
import KoineCluster
import KoineGame
import KoineTelemetry
import KoineTensor

/// Runs a configuration to the end on one rank of a job: the step loop and
/// the periodic work around it (replica checks, evaluations, ease-of-teaching
/// measurements, checkpoints), then the summary. What each step does is
/// `Population.trainStep`; what the run reports is the `Reporter`'s.
public final class Trainer {
    public let configuration: Configuration
    public let communicator: Communicator
    public let population: Population
    public let reporter: Reporter
    /// This rank's part in population-based training; nil when `pbt` is off.
    let member: PBTMember?
    /// Where every rank writes its checkpoints; nil when they are off.
    var checkpoints: CheckpointStore?
    /// The first step to play: 0, or the step of the checkpoint resumed from.
    public internal(set) var startStep = 0
    /// Counters a resumed run continues from (set by `restore`).
    public internal(set) var resumed: ResumedCounters?
    /// A failure to inject before a step (fault tests): the step and the message.
    var failure: (step: Int, message: String)?
    /// What asks the run to stop early (SIGTERM, for `koine train`); never, by default.
    public var stopSignal = StopSignal()
    /// Seconds a rank may wait for the others once steps run (a lost host
    /// then ends the job instead of hanging it); nil waits forever.
    public var peerTimeout: Double?

    public init(configuration: Configuration, communicator: Communicator = SingleProcessCommunicator(),
                telemetry: TelemetrySink = NullSink(), progress: Progress = Progress(enabled: false)) throws {
        self.configuration = configuration
        self.communicator = communicator
        population = try Population(configuration: configuration, communicator: communicator,
                                    random: Random(seed: UInt64(configuration.seed)))
        reporter = Reporter(configuration: configuration, communicator: communicator, population: population,
                            telemetry: telemetry, progress: progress)
        member = configuration.pbt.isOn ? PBTMember(configuration: configuration, population: population, communicator: communicator) : nil
        if member != nil { try checkFitnessFigure() }
        if let shared = population.sharedEncoder, communicator.size > 1 {
            // Every rank starts from rank 0's encoder, bit for bit.
            let parameters = shared.module.parameters
            try communicator.broadcast(UnsafeMutableRawPointer(parameters.values),
                                       bytes: parameters.count * MemoryLayout<Float>.stride, root: 0)
        }
    }

    /// Resets so far, on this rank.
    public var resets: [ResetEvent] { reporter.resets }

    /// Trains for `configuration.train.steps` steps and returns the summary
    /// (reduced over ranks; the same on every rank).
    @discardableResult
    public func train() throws -> Summary {
        do {
            return try trainToTheEnd()
        } catch let failure as RunFileFailure {
            // The run stops cleanly; its checkpoints stay for --resume.
            let newest = checkpoints.map(newestComplete) ?? "checkpoints are off"
            throw TrainingError("\(failure); training stopped; \(newest)")
        }
    }

    private func trainToTheEnd() throws -> Summary {
        let started = Date()
        let hosts = try communicator.gatherStrings(communicator.hostName)
        if let warning = try CoreSharing.unpinCrowdedRanks(communicator, hosts: hosts), communicator.isRoot {
            FileHandle.standardError.write(Data("koine: warning: \(warning)\n".utf8))
        }
        if let resumed { reporter.telemetry.sequence = resumed.telemetrySequence }
        // A run resumed after a crash continues its event stream as if never
        // stopped; an extended one announces its new length.
        reporter.runStarted(step: startStep, hosts: hosts, announce: resumed?.extends ?? true)
        let steps = configuration.train.steps
        let replicated = population.sharedEncoder != nil && communicator.size > 1
        let checkpointEvery = checkpoints == nil ? 0 : configuration.train.checkpointEvery
        let stop = StopAgreement(signal: stopSignal, communicator: communicator)
        // Only now: loading and caching data before the first step may keep
        // ranks apart for longer than a step ever should.
        communicator.peerTimeout = peerTimeout
        for step in startStep..<steps {
            if let failure, failure.step == step { throw TrainingError(failure.message) }
            let outcome = try population.trainStep(step)
            try checkFinite(outcome.figures, step: step + 1)
            try reporter.record(outcome)
            let done = step + 1
            if replicated && isDue(configuration.train.checkEvery, done) { try checkEncoderReplicas(step: done) }
            try reporter.stepDone(done)
            if isDue(configuration.eval.every, done) { try evaluate(done) }
            if isDue(configuration.eval.easeEvery, done) { try measureEase(done) }
            // After the measurements, so the round has its fitness; before the
            // checkpoint, so a resumed run continues from after the round.
            if let member, isDue(configuration.pbt.every, done) { try populationBasedRound(member, step: done) }
            // Last in the step, so the checkpoint holds everything the step wrote;
            // the final one lets a finished run be extended.
            let checkpointed = checkpointEvery > 0 && (done % checkpointEvery == 0 || done == steps)
            if checkpointed { try saveCheckpoint(step: done, started: started) }
            reporter.showProgress(done)
            if done < steps, try stop.shouldStop() {
                if checkpointEvery > 0 && !checkpointed { try saveCheckpoint(step: done, started: started) }
                reporter.progress.finish()
                throw TrainingStopped(signal: stopSignal.signal, step: done, checkpoint: checkpoints.map { store in
                    "checkpoint \(store.directory(step: done).path) written"
                } ?? "checkpoints are off (train.checkpoint.every: 0), so nothing was saved")
            }
        }
        try stop.finish()
        // What the run's end adds beyond the periodic work: a checkpoint taken
        // above does not include these, so an extended run replays none of them.
        if !isDue(configuration.train.logEvery, steps) { try reporter.log(steps) }
        if replicated { try checkEncoderReplicas(step: steps) }
        if endEvaluation { try evaluate(steps) }
        if endEase { try measureEase(steps) }
        reporter.showProgress(steps, force: true)
        reporter.progress.finish()
        return try reporter.finish(population: population, wall: reporter.elapsedBefore + Date().timeIntervalSince(started))
    }

    private func isDue(_ every: Int, _ step: Int) -> Bool { every > 0 && step % every == 0 }

    /// Stops the run when a loss of step `step` is NaN or infinite: the
    /// parameters have diverged, and nothing after it (metrics, checkpoints)
    /// would mean anything. The checkpoints already written stay.
    private func checkFinite(_ figures: StepFigures, step: Int) throws {
        let losses = [("speaker", figures.speakerLoss), ("listener", figures.listenerLoss), ("rotation", figures.rotationLoss)]
        guard let (name, value) = losses.first(where: { !$0.1.isFinite }) else { return }
        reporter.progress.finish()
        let newest = checkpoints.map(newestComplete) ?? "checkpoints are off"
        throw TrainingError("the \(name) loss is \(value.isNaN ? "NaN" : "\(value)") at step \(step) on rank \(communicator.rank): training diverged "
                            + "(lower train.optimizer.lr or train.clip); training stopped; \(newest)")
    }

    private var endEvaluation: Bool { !isDue(configuration.eval.every, configuration.train.steps) }
    private var endEase: Bool { configuration.eval.easeEvery > 0 && !isDue(configuration.eval.easeEvery, configuration.train.steps) }
    /// Telemetry events the run's end sends after the last step's work.
    var endEvents: Int { (endEvaluation ? 1 : 0) + (endEase ? 1 : 0) + 1 }

    /// Stops the job when the encoder replicas are no longer bit-identical.
    private func checkEncoderReplicas(step: Int) throws {
        guard let shared = population.sharedEncoder else { return }
        var low = Int64(bitPattern: Population.checksum(of: shared)), high = low
        try communicator.allreduceMin(&low, count: 1)
        try communicator.allreduceMax(&high, count: 1)
        if low != high {
            throw TrainingError("shared encoder replicas differ across ranks at step \(step) (checksums \(String(UInt64(bitPattern: low), radix: 16)) and \(String(UInt64(bitPattern: high), radix: 16)))")
        }
    }

    private func evaluate(_ step: Int) throws {
        let local = population.evaluate()
        let crossPlay = try CrossPlay.measure(population, evaluation: local, communicator: communicator)
        try reporter.evaluated(try ReducedEvaluation(local: local, crossPlay: crossPlay, communicator: communicator), step: step)
    }

    /// Fresh listeners learn each speaker's current language; the curve is
    /// averaged over speakers, then over ranks, and every listener's curve is
    /// kept in the run directory.
    private func measureEase(_ step: Int) throws {
        let lexicons = population.speakers.indices.map { population.lexicon(of: $0) }
        var curves: [[Double]] = []
        let started = Date(), total = lexicons.count * configuration.eval.easeListeners
        for (s, lexicon) in lexicons.enumerated() {
            let measured = EaseOfTeaching.measure(
                lexicon: lexicon, game: population.game, settings: population.settings, rule: configuration.eval.teachingRule,
                listeners: configuration.eval.easeListeners, steps: configuration.eval.easeSteps, batch: configuration.train.batch,
                random: Random(seed: UInt64(configuration.seed)).split(40, UInt64(communicator.rank), UInt64(step), UInt64(s)),
                listenerTaught: { self.reporter.showEaseProgress(step: step, taught: s * self.configuration.eval.easeListeners + $0,
                                                                 of: total, since: started) })
            curves += measured.curves
        }
        let local = EaseOfTeaching(curves: curves)
        var curve = local.curve
        try communicator.allreduceSum(&curve, count: curve.count)
        var seconds = Date().timeIntervalSince(started)
        try communicator.allreduceMax(&seconds, count: 1)
        try reporter.easeMeasured(local: local, reduced: EaseOfTeaching(curve: curve.map { $0 / Double(communicator.size) }),
                                  listenersPerSpeaker: configuration.eval.easeListeners, seconds: seconds, step: step)
    }
}

/// A failure during training that stops the whole job.
public struct TrainingError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public enum KoineTrainerVersion {
    public static let string = "0.1.0"
}
