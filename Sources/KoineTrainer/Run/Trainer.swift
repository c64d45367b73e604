import Foundation
import KoineCluster
import KoineGame
import KoineTelemetry
import KoineTensor

/// Runs a configuration to the end on one rank of a job: the step loop with
/// its resets, the shared encoder's all-reduce, logs, evaluations and
/// ease-of-teaching measurements, then the summary. Figures written to the
/// run directory (rank 0) are reduced over ranks; telemetry is per rank.
public final class Trainer {
    public let configuration: Configuration
    public let communicator: Communicator
    public let population: Population
    /// Where rank 0 writes; set after construction so that nothing is
    /// created on disk before the population is known to build.
    public var run: RunDirectory?
    public var telemetry: TelemetrySink
    public let progress: Progress
    public var runIdentifier: String
    public internal(set) var resets: [ResetEvent] = []
    public private(set) var lastEvaluation: ReducedEvaluation?
    public private(set) var easeOfTeaching: EaseOfTeaching?
    /// Where every rank writes its checkpoints; nil when they are off.
    public var checkpoints: CheckpointStore?
    /// The first step to play: 0, or the step of the checkpoint resumed from.
    public internal(set) var startStep = 0
    /// Counters a resumed run continues from (set by `restore`).
    public internal(set) var resumed: ResumedCounters?
    var window = StepFigures()
    var lastWindow = StepFigures()
    var total = StepFigures()
    /// Seconds of training before this process (a resumed run's earlier part).
    var elapsedBefore: Double = 0
    private var windowStart = Date()
    private var lastProgress = Date.distantPast
    private var progressRate: Double = 0
    var telemetryWindow = StepFigures()
    private var telemetryWindowStart = Date()
    var allreduceSeconds: Double = 0
    private var allreduceWindowSeconds: Double = 0
    /// A failure to inject before a step (fault tests): the step and the message.
    public var failure: (step: Int, message: String)?

    public init(configuration: Configuration, communicator: Communicator = SingleProcessCommunicator(),
                run: RunDirectory?, telemetry: TelemetrySink = NullSink(),
                progress: Progress = Progress(enabled: false), runIdentifier: String = "local") throws {
        self.configuration = configuration
        self.communicator = communicator
        population = try Population(configuration: configuration, communicator: communicator,
                                    random: Random(seed: UInt64(configuration.seed)))
        self.run = run
        self.telemetry = telemetry
        self.progress = progress
        self.runIdentifier = runIdentifier
        if let shared = population.sharedEncoder, communicator.size > 1 {
            // Every rank starts from rank 0's encoder, bit for bit.
            let parameters = shared.module.parameters
            try communicator.broadcast(UnsafeMutableRawPointer(parameters.values),
                                       bytes: parameters.count * MemoryLayout<Float>.stride, root: 0)
        }
    }

    var isRoot: Bool { communicator.rank == 0 }

    /// Trains for `configuration.steps` steps and returns the summary
    /// (reduced over ranks; the same on every rank).
    @discardableResult
    public func train() throws -> Summary {
        let started = Date()
        windowStart = started
        telemetryWindowStart = started
        let hosts = try communicator.gatherStrings(communicator.hostName)
        if let resumed { telemetry.sequence = resumed.telemetrySequence }
        var startFields: [(String, JSONValue)] = [
            ("config", ConfigurationJSON.value(of: configuration.tree)),
            ("world_size", .int(communicator.size)),
            ("hosts", .array(hosts.map { .string($0) })),
            ("versions", ["koine": .string(KoineTrainerVersion.string)]),
            ("total_steps", .int(configuration.steps)),
        ]
        if startStep > 0 { startFields.append(("resumed_from", .int(startStep))) }
        // A run resumed after a crash continues its event stream as if never
        // stopped; an extended one announces its new length.
        if resumed?.extends ?? true { telemetry.emit(.runStarted, step: startStep, fields: startFields) }
        let steps = configuration.steps
        let shared = population.sharedEncoder?.module.parameters
        let reduceEncoder = shared != nil && communicator.size > 1
        let checkpointEvery = checkpoints == nil ? 0 : configuration.checkpointEvery
        for step in startStep..<steps {
            if let failure, failure.step == step { throw TrainingError(failure.message) }
            for event in population.applyResets(before: step) { record(event) }
            let figures = try population.playStep(step)
            var handle: ReductionHandle?
            if reduceEncoder, let shared {
                handle = try communicator.startAllreduceAverage(shared.gradients, count: shared.count)
            }
            // The agents' own updates overlap the encoder's reduction.
            population.applyAgentGradients()
            if var pending = handle {
                let waitStart = Date()
                try communicator.wait(&pending)
                let waited = Date().timeIntervalSince(waitStart)
                allreduceSeconds += waited
                allreduceWindowSeconds += waited
            }
            population.applySharedEncoderGradient()
            window.add(figures)
            total.add(figures)
            telemetryWindow.add(figures)
            let done = step + 1
            if reduceEncoder && configuration.checkEvery > 0 && done % configuration.checkEvery == 0 {
                try checkEncoderReplicas(step: done)
            }
            if configuration.telemetryEvery > 0 && done % configuration.telemetryEvery == 0 { sendStepTelemetry(done) }
            if configuration.logEvery > 0 && done % configuration.logEvery == 0 { try log(done) }
            if configuration.evalEvery > 0 && done % configuration.evalEvery == 0 { try evaluate(done) }
            if configuration.easeEvery > 0 && done % configuration.easeEvery == 0 { try measureEase(done) }
            // Last in the step, so the checkpoint holds everything the step wrote;
            // the final one lets a finished run be extended.
            if checkpointEvery > 0 && (done % checkpointEvery == 0 || done == steps) {
                try saveCheckpoint(step: done, started: started)
            }
            if isRoot && Date().timeIntervalSince(lastProgress) >= 1 { showProgress(done) }
        }
        // What the run's end adds beyond the periodic work: a checkpoint taken
        // above does not include these, so an extended run replays none of them.
        if configuration.logEvery == 0 || steps % configuration.logEvery != 0 { try log(steps) }
        if reduceEncoder { try checkEncoderReplicas(step: steps) }
        if endEvaluation { try evaluate(steps) }
        if endEase { try measureEase(steps) }
        if isRoot {
            showProgress(steps)
            progress.finish()
        }
        let summary = try makeSummary(wall: elapsedBefore + Date().timeIntervalSince(started))
        let lexicons = try communicator.gatherStrings(localLexiconTable())
        if let run, isRoot {
            try run.write("lexicon.tsv", "rank\tspeaker\tobject\tattributes\tmessage\n" + lexicons.joined())
            try run.write("summary.json", summary.json)
            run.close()
        }
        telemetry.emit(.runFinished, step: steps, fields: [("summary", summary.value)])
        return summary
    }

    private var endEvaluation: Bool { configuration.evalEvery == 0 || configuration.steps % configuration.evalEvery != 0 }
    private var endEase: Bool { configuration.easeEvery > 0 && configuration.steps % configuration.easeEvery != 0 }
    /// Telemetry events the run's end sends after the last step's work.
    var endEvents: Int { (endEvaluation ? 1 : 0) + (endEase ? 1 : 0) + 1 }

    private func localLexiconTable() -> String {
        var table = ""
        for (s, lexicon) in (lastEvaluation?.local.lexicons ?? []).enumerated() {
            for line in lexicon.tsv(space: population.space, speaker: s).split(separator: "\n") {
                table += "\(communicator.rank)\t\(line)\n"
            }
        }
        return table
    }

    /// Stops the job when the encoder replicas are no longer bit-identical.
    private func checkEncoderReplicas(step: Int) throws {
        guard let shared = population.sharedEncoder else { return }
        var low = Int64(bitPattern: shared.module.parameters.checksum()), high = low
        try communicator.allreduceMin(&low, count: 1)
        try communicator.allreduceMax(&high, count: 1)
        if low != high {
            throw TrainingError("shared encoder replicas differ across ranks at step \(step) (checksums \(String(UInt64(bitPattern: low), radix: 16)) and \(String(UInt64(bitPattern: high), radix: 16)))")
        }
    }

    private func record(_ event: ResetEvent) {
        resets.append(event)
        telemetry.emit(.reset, step: event.step, fields: [("role", .string(event.role.rawValue)), ("agent", .int(event.agent))])
        if isRoot {
            // The schedule is global: the same agent resets on every rank.
            run?.appendMetrics(JSONValue.object([
                ("kind", "reset"), ("step", .int(event.step)), ("role", .string(event.role.rawValue)),
                ("agent", .int(event.agent)), ("ranks", .int(communicator.size)),
            ]).serialized)
        }
    }

    private func sendStepTelemetry(_ step: Int) {
        let seconds = max(Date().timeIntervalSince(telemetryWindowStart), 1e-9)
        let figures = telemetryWindow
        telemetry.emit(.step, step: step, fields: [
            ("games_per_second", .double(Double(figures.games) / seconds)),
            ("steps_per_second", .double(Double(configuration.telemetryEvery) / seconds)),
            ("loss", .double(figures.loss)),
            ("accuracy", .double(figures.accuracy)),
            ("entropy", .double(figures.meanSpeakerEntropy)),
            ("speaker_loss", .double(figures.meanSpeakerLoss)),
            ("listener_loss", .double(figures.meanListenerLoss)),
            ("speaker_entropy", .double(figures.meanSpeakerEntropy)),
            ("listener_entropy", .double(figures.meanListenerEntropy)),
            ("resets", .int(resets.count)),
        ])
        if communicator.size > 1, let shared = population.sharedEncoder {
            telemetry.emit(.allreduce, step: step, fields: [
                ("bytes", .int(shared.module.parameters.count * MemoryLayout<Float>.stride)),
                ("seconds", .double(allreduceWindowSeconds)),
                ("steps", .int(configuration.telemetryEvery)),
            ])
        }
        allreduceWindowSeconds = 0
        telemetryWindow = StepFigures()
        telemetryWindowStart = Date()
    }

    /// Sums figures over ranks (a collective: every rank calls it at the same steps).
    private func reduce(_ figures: StepFigures) throws -> StepFigures {
        var packed = figures.packed
        try communicator.allreduceSum(&packed, count: packed.count)
        return StepFigures(packed: packed)
    }

    private func log(_ step: Int) throws {
        var seconds = max(Date().timeIntervalSince(windowStart), 1e-9)
        let figures = try reduce(window)
        try communicator.allreduceMax(&seconds, count: 1)
        let steps = window.speakerBatches / max(population.speakers.count, 1)
        if isRoot {
            run?.appendMetrics(JSONValue.object([
                ("kind", "step"), ("step", .int(step)),
                ("accuracy", .double(figures.accuracy)),
                ("loss", .double(figures.loss)),
                ("speaker_loss", .double(figures.meanSpeakerLoss)),
                ("listener_loss", .double(figures.meanListenerLoss)),
                ("entropy", .double(figures.meanSpeakerEntropy)),
                ("listener_entropy", .double(figures.meanListenerEntropy)),
                ("games_per_second", .double(Double(figures.games) / seconds)),
                ("steps_per_second", .double(Double(steps) / seconds)),
                ("cross_rank_games", .int(figures.crossRankGames)),
                ("resets", .int(resets.count * communicator.size)),
            ]).serialized)
        }
        lastWindow = window
        window = StepFigures()
        windowStart = Date()
    }

    private func evaluate(_ step: Int) throws {
        let local = PopulationEvaluation.measure(population, distance: configuration.distance)
        let evaluation = try ReducedEvaluation(local: local, communicator: communicator)
        lastEvaluation = evaluation
        var fields: [(String, JSONValue)] = [
            ("accuracy", .double(local.accuracy)),
            ("topsim", .double(local.topographicSimilarity)),
            ("posdis", .double(local.positionalDisentanglement)),
            ("bosdis", .double(local.bagOfSymbolsDisentanglement)),
            ("entropy", .double(local.entropy)),
            ("lexicon_size", .double(local.lexiconSize)),
        ]
        if let heldout = local.heldoutAccuracy { fields.append(("heldout_accuracy", .double(heldout))) }
        telemetry.emit(.eval, step: step, fields: fields)
        if isRoot { run?.appendMetrics(JSONValue.object([("kind", "eval"), ("step", .int(step))] + evaluation.fields).serialized) }
    }

    private func measureEase(_ step: Int) throws {
        let lexicons = population.speakers.indices.map { population.lexicon(of: $0) }
        var curve = [Double](repeating: 0, count: configuration.easeSteps)
        for (s, lexicon) in lexicons.enumerated() {
            let measured = EaseOfTeaching.measure(
                lexicon: lexicon, space: population.space, settings: population.settings,
                listeners: configuration.easeListeners, steps: configuration.easeSteps, batch: configuration.batch,
                candidates: configuration.candidates,
                random: Random(seed: UInt64(configuration.seed)).split(40, UInt64(communicator.rank), UInt64(step), UInt64(s)))
            for i in curve.indices { curve[i] += measured.curve[i] / Double(lexicons.count) }
        }
        let local = EaseOfTeaching(curve: curve)
        telemetry.emit(.easeOfTeaching, step: step, fields: [
            ("curve", .array(local.summarized(points: 20).map { .double($0) })), ("area", .double(local.area)),
        ])
        try communicator.allreduceSum(&curve, count: curve.count)
        let result = EaseOfTeaching(curve: curve.map { $0 / Double(communicator.size) })
        easeOfTeaching = result
        if isRoot {
            run?.appendMetrics(JSONValue.object([
                ("kind", "ease_of_teaching"), ("step", .int(step)), ("area", .double(result.area)),
                ("curve", .array(result.summarized(points: 20).map { .double($0) })),
            ]).serialized)
        }
    }

    private func showProgress(_ step: Int) {
        lastProgress = Date()
        let figures = window.games > 0 ? window : lastWindow
        let elapsed = max(Date().timeIntervalSince(windowStart), 1e-9)
        if window.games > 0 { progressRate = Double(window.games) / elapsed }
        let topsim = lastEvaluation.map { Format.fixed($0.topographicSimilarity, 2) } ?? "-"
        let ranks = communicator.size > 1 ? "  (rank 0 of \(communicator.size))" : ""
        progress.show(
            "step \(step)/\(configuration.steps)  games/s \(Format.thousands(progressRate))  "
                + "accuracy \(Format.fixed(figures.accuracy, 3))  entropy \(Format.fixed(figures.meanSpeakerEntropy, 2))  "
                + "topsim \(topsim)  resets \(resets.count)\(ranks)")
    }

    private func makeSummary(wall localWall: Double) throws -> Summary {
        let totals = try reduce(total)
        let lastTotals = try reduce(lastWindow)
        var wall = localWall, allreduce = allreduceSeconds
        try communicator.allreduceMax(&wall, count: 1)
        try communicator.allreduceMax(&allreduce, count: 1)
        var dropped = Int64(telemetry.dropped)
        try communicator.allreduceSum(&dropped, count: 1)
        let checksums = try communicator.gatherStrings(String(population.parametersChecksum()))
        var combined: UInt64 = 0xCBF2_9CE4_8422_2325
        for text in checksums { combined = Checksum.combine(combined, UInt64(text) ?? 0) }
        let evaluation = lastEvaluation
        let steps = configuration.steps
        return Summary(
            steps: steps, worldSize: communicator.size, games: totals.games,
            gamesPerSecond: Double(totals.games) / max(wall, 1e-9),
            stepsPerSecond: Double(steps) / max(wall, 1e-9), wallSeconds: wall,
            allreduceSeconds: allreduce,
            accuracy: evaluation?.accuracy ?? 0,
            trainingAccuracy: lastTotals.games > 0 ? lastTotals.accuracy : totals.accuracy,
            topographicSimilarity: evaluation?.topographicSimilarity ?? 0,
            entropy: evaluation?.entropy ?? 0,
            resets: resets.count * communicator.size, crossRankGames: totals.crossRankGames,
            crossRankReplies: totals.crossRankReplies,
            telemetryDropped: Int(dropped),
            sharedEncoderChecksum: population.sharedEncoder?.module.parameters.checksum(),
            parametersChecksum: combined,
            heldoutAccuracy: evaluation?.heldoutAccuracy,
            positionalDisentanglement: evaluation?.positionalDisentanglement,
            bagOfSymbolsDisentanglement: evaluation?.bagOfSymbolsDisentanglement,
            lexiconSize: evaluation?.lexiconSize,
            easeOfTeaching: easeOfTeaching?.area)
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
