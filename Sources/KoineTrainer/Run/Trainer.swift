import Foundation
import KoineGame
import KoineTelemetry
import KoineTensor

/// Runs a configuration to the end: the step loop with its resets, logs,
/// evaluations and ease-of-teaching measurements, then the summary.
public final class Trainer {
    public let configuration: Configuration
    public let population: Population
    public let run: RunDirectory?
    public let telemetry: TelemetrySink
    public let progress: Progress
    public let runIdentifier: String
    public private(set) var resets: [ResetEvent] = []
    public private(set) var lastEvaluation: PopulationEvaluation?
    public private(set) var easeOfTeaching: EaseOfTeaching?
    private var window = StepFigures()
    private var total = StepFigures()
    private var windowStart = Date()
    private var lastProgress = Date.distantPast
    private var telemetryWindow = StepFigures()
    private var telemetryWindowStart = Date()

    public init(configuration: Configuration, run: RunDirectory?, telemetry: TelemetrySink = NullSink(),
                progress: Progress = Progress(enabled: false), runIdentifier: String = "local") throws {
        self.configuration = configuration
        population = try Population(configuration: configuration, random: Random(seed: UInt64(configuration.seed)))
        self.run = run
        self.telemetry = telemetry
        self.progress = progress
        self.runIdentifier = runIdentifier
    }

    /// Trains for `configuration.steps` steps and returns the summary.
    @discardableResult
    public func train() throws -> Summary {
        let started = Date()
        windowStart = started
        telemetryWindowStart = started
        telemetry.emit(.runStarted, step: 0, fields: [
            ("config", ConfigurationJSON.value(of: configuration.tree)),
            ("world_size", 1),
            ("hosts", .array([.string(ProcessInfo.processInfo.hostName)])),
            ("versions", ["koine": .string(KoineTrainerVersion.string)]),
            ("total_steps", .int(configuration.steps)),
        ])
        let steps = configuration.steps
        for step in 0..<steps {
            for event in population.applyResets(before: step) { record(event) }
            let figures = population.trainStep(step)
            window.add(figures)
            total.add(figures)
            telemetryWindow.add(figures)
            let done = step + 1
            if configuration.telemetryEvery > 0 && done % configuration.telemetryEvery == 0 { sendStepTelemetry(done) }
            if configuration.logEvery > 0 && done % configuration.logEvery == 0 { log(done) }
            if configuration.evalEvery > 0 && done % configuration.evalEvery == 0 && done < steps { evaluate(done) }
            if configuration.easeEvery > 0 && done % configuration.easeEvery == 0 && done < steps { measureEase(done) }
            if Date().timeIntervalSince(lastProgress) >= 1 { showProgress(done) }
        }
        if window.games > 0 && (configuration.logEvery == 0 || steps % configuration.logEvery != 0) { log(steps) }
        evaluate(steps)
        if configuration.easeEvery > 0 { measureEase(steps) }
        showProgress(steps)
        progress.finish()
        let wall = Date().timeIntervalSince(started)
        let summary = makeSummary(wall: wall)
        if let run {
            var lexicons = "speaker\tobject\tattributes\tmessage\n"
            for (s, lexicon) in (lastEvaluation?.lexicons ?? []).enumerated() {
                lexicons += lexicon.tsv(space: population.space, speaker: s)
            }
            try run.write("lexicon.tsv", lexicons)
            try run.write("summary.json", summary.json)
            run.close()
        }
        telemetry.emit(.runFinished, step: steps, fields: [("summary", summary.value)])
        return summary
    }

    private func record(_ event: ResetEvent) {
        resets.append(event)
        telemetry.emit(.reset, step: event.step, fields: [("role", .string(event.role.rawValue)), ("agent", .int(event.agent))])
        run?.appendMetrics(JSONValue.object([
            ("kind", "reset"), ("step", .int(event.step)), ("role", .string(event.role.rawValue)), ("agent", .int(event.agent)),
        ]).serialized)
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
        telemetryWindow = StepFigures()
        telemetryWindowStart = Date()
    }

    private func log(_ step: Int) {
        let seconds = max(Date().timeIntervalSince(windowStart), 1e-9)
        let steps = window.speakerBatches / max(population.speakers.count, 1)
        run?.appendMetrics(JSONValue.object([
            ("kind", "step"), ("step", .int(step)),
            ("accuracy", .double(window.accuracy)),
            ("loss", .double(window.loss)),
            ("speaker_loss", .double(window.meanSpeakerLoss)),
            ("listener_loss", .double(window.meanListenerLoss)),
            ("entropy", .double(window.meanSpeakerEntropy)),
            ("listener_entropy", .double(window.meanListenerEntropy)),
            ("games_per_second", .double(Double(window.games) / seconds)),
            ("steps_per_second", .double(Double(steps) / seconds)),
            ("resets", .int(resets.count)),
        ]).serialized)
        lastWindow = window
        window = StepFigures()
        windowStart = Date()
    }

    private var lastWindow = StepFigures()
    private var lastRate: Double = 0

    private func evaluate(_ step: Int) {
        let evaluation = PopulationEvaluation.measure(population, distance: configuration.distance)
        lastEvaluation = evaluation
        var fields: [(String, JSONValue)] = [
            ("accuracy", .double(evaluation.accuracy)),
            ("topsim", .double(evaluation.topographicSimilarity)),
            ("posdis", .double(evaluation.positionalDisentanglement)),
            ("bosdis", .double(evaluation.bagOfSymbolsDisentanglement)),
            ("entropy", .double(evaluation.entropy)),
            ("lexicon_size", .double(evaluation.lexiconSize)),
        ]
        if let heldout = evaluation.heldoutAccuracy { fields.append(("heldout_accuracy", .double(heldout))) }
        telemetry.emit(.eval, step: step, fields: fields)
        run?.appendMetrics(JSONValue.object([("kind", "eval"), ("step", .int(step))] + fields).serialized)
    }

    private func measureEase(_ step: Int) {
        let lexicons = population.speakers.indices.map { population.lexicon(of: $0) }
        var curve: [Double] = []
        for (s, lexicon) in lexicons.enumerated() {
            let measured = EaseOfTeaching.measure(
                lexicon: lexicon, space: population.space, settings: population.settings,
                listeners: configuration.easeListeners, steps: configuration.easeSteps, batch: configuration.batch,
                candidates: configuration.candidates,
                random: Random(seed: UInt64(configuration.seed)).split(40, UInt64(step), UInt64(s)))
            curve = curve.isEmpty ? measured.curve : zip(curve, measured.curve).map { $0 + $1 }
        }
        let result = EaseOfTeaching(curve: curve.map { $0 / Double(lexicons.count) })
        easeOfTeaching = result
        let points = result.summarized(points: 20).map { JSONValue.double($0) }
        telemetry.emit(.easeOfTeaching, step: step, fields: [("curve", .array(points)), ("area", .double(result.area))])
        run?.appendMetrics(JSONValue.object([
            ("kind", "ease_of_teaching"), ("step", .int(step)), ("area", .double(result.area)), ("curve", .array(points)),
        ]).serialized)
    }

    private func showProgress(_ step: Int) {
        let now = Date()
        let seconds = max(now.timeIntervalSince(lastProgress == .distantPast ? windowStart : lastProgress), 1e-9)
        _ = seconds
        lastProgress = now
        let figures = window.games > 0 ? window : lastWindow
        let elapsed = max(now.timeIntervalSince(windowStart), 1e-9)
        if window.games > 0 { lastRate = Double(window.games) / elapsed }
        let topsim = lastEvaluation.map { Format.fixed($0.topographicSimilarity, 2) } ?? "-"
        progress.show(
            "step \(step)/\(configuration.steps)  games/s \(Format.thousands(lastRate))  "
                + "accuracy \(Format.fixed(figures.accuracy, 3))  entropy \(Format.fixed(figures.meanSpeakerEntropy, 2))  "
                + "topsim \(topsim)  resets \(resets.count)")
    }

    private func makeSummary(wall: Double) -> Summary {
        let evaluation = lastEvaluation
        let steps = configuration.steps
        return Summary(
            steps: steps, worldSize: 1, games: total.games,
            gamesPerSecond: Double(total.games) / max(wall, 1e-9),
            stepsPerSecond: Double(steps) / max(wall, 1e-9), wallSeconds: wall,
            accuracy: evaluation?.accuracy ?? 0,
            trainingAccuracy: lastWindow.games > 0 ? lastWindow.accuracy : total.accuracy,
            topographicSimilarity: evaluation?.topographicSimilarity ?? 0,
            entropy: evaluation?.entropy ?? 0,
            resets: resets.count, crossRankGames: 0, telemetryDropped: telemetry.dropped,
            sharedEncoderChecksum: population.sharedEncoder?.module.parameters.checksum(),
            parametersChecksum: population.parametersChecksum(),
            heldoutAccuracy: evaluation?.heldoutAccuracy,
            positionalDisentanglement: evaluation?.positionalDisentanglement,
            bagOfSymbolsDisentanglement: evaluation?.bagOfSymbolsDisentanglement,
            lexiconSize: evaluation?.lexiconSize,
            easeOfTeaching: easeOfTeaching?.area)
    }
}

public enum KoineTrainerVersion {
    public static let string = "0.1.0"
}
