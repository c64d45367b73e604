import Foundation
import KoineCluster
import KoineGame
import KoineTelemetry
import KoineTensor

/// What a run tells the world, each figure built once: the windows of step
/// figures, resets, evaluations and ease-of-teaching measurements feed
/// `metrics.jsonl` (rank 0, reduced over ranks), telemetry (every rank, its
/// own figures), the progress line and the summary.
public final class Reporter {
    let configuration: Configuration
    let communicator: Communicator
    /// Where rank 0 writes; nil on other ranks and in tests.
    var run: RunDirectory?
    var telemetry: TelemetrySink
    let progress: Progress
    /// The shared encoder's size when it is all-reduced (for the allreduce events).
    let reducedBytes: Int?
    let speakers: Int
    public internal(set) var resets: [ResetEvent] = []
    public private(set) var lastEvaluation: ReducedEvaluation?
    public private(set) var easeOfTeaching: EaseOfTeaching?
    /// This rank's own last ease-of-teaching measurement (a PBT member's fitness may come from it).
    public private(set) var localEaseOfTeaching: EaseOfTeaching?
    // Step figures summed since the start, since the last log line (and the
    // window before it), and since the last step event.
    var total = StepFigures()
    var window = StepFigures()
    var lastWindow = StepFigures()
    var telemetryWindow = StepFigures()
    var allreduceSeconds: Double = 0
    private var allreduceWindowSeconds: Double = 0
    /// Seconds of training before this process (a resumed run's earlier part).
    var elapsedBefore: Double = 0
    private var windowStart = Date()
    private var telemetryWindowStart = Date()
    private var lastProgress = Date.distantPast
    private var progressRate: Double = 0
    private var stepRate: Double = 0

    init(configuration: Configuration, communicator: Communicator, population: Population,
         telemetry: TelemetrySink, progress: Progress) {
        self.configuration = configuration
        self.communicator = communicator
        self.telemetry = telemetry
        self.progress = progress
        speakers = population.speakers.count
        reducedBytes = communicator.size > 1
            ? population.sharedEncoder.map { $0.module.parameters.count * MemoryLayout<Float>.stride } : nil
    }

    var isRoot: Bool { communicator.rank == 0 }

    /// The run's first event, sent unless a crashed run resumes (its stream
    /// continues as if never stopped); `step` is where training starts.
    func runStarted(step: Int, hosts: [String], announce: Bool) {
        let now = Date()
        windowStart = now
        telemetryWindowStart = now
        var fields: [(String, JSONValue)] = [
            ("config", ConfigurationJSON.value(of: configuration.tree)),
            ("world_size", .int(communicator.size)),
            ("hosts", .array(hosts.map { .string($0) })),
            ("versions", ["koine": .string(KoineTrainerVersion.string)]),
            ("total_steps", .int(configuration.train.steps)),
        ]
        if step > 0 { fields.append(("resumed_from", .int(step))) }
        if announce { telemetry.emit(.runStarted, step: step, fields: fields) }
    }

    /// Takes in one step's outcome: its resets and figures.
    func record(_ outcome: StepOutcome) throws {
        for event in outcome.resets { try record(event) }
        window.add(outcome.figures)
        total.add(outcome.figures)
        telemetryWindow.add(outcome.figures)
        allreduceSeconds += outcome.allreduceSeconds
        allreduceWindowSeconds += outcome.allreduceSeconds
    }

    private func record(_ event: ResetEvent) throws {
        resets.append(event)
        let fields: [(String, JSONValue)] = [("role", .string(event.role.rawValue)), ("agent", .int(event.agent))]
        telemetry.emit(.reset, step: event.step, fields: fields)
        // The schedule is global: the same agent resets on every rank.
        try appendMetrics(.reset, step: event.step, fields + [("ranks", .int(communicator.size))])
    }

    /// The periodic reports due after step `step` (1-based): telemetry, then the log.
    func stepDone(_ step: Int) throws {
        if configuration.telemetry.every > 0 && step % configuration.telemetry.every == 0 { sendStepTelemetry(step) }
        if configuration.train.logEvery > 0 && step % configuration.train.logEvery == 0 { try log(step) }
    }

    /// The figures every step report carries, from `figures` over `seconds`.
    private func stepFields(_ figures: StepFigures, seconds: Double, steps: Int, resets: Int) -> [(String, JSONValue)] {
        [
            ("games_per_second", .double(Double(figures.games) / seconds)),
            ("steps_per_second", .double(Double(steps) / seconds)),
            ("loss", .double(figures.loss)),
            ("accuracy", .double(figures.accuracy)),
            ("entropy", .double(figures.meanSpeakerEntropy)),
            ("speaker_loss", .double(figures.meanSpeakerLoss)),
            ("listener_loss", .double(figures.meanListenerLoss)),
            ("speaker_entropy", .double(figures.meanSpeakerEntropy)),
            ("listener_entropy", .double(figures.meanListenerEntropy)),
            ("resets", .int(resets)),
        ] + figures.rotationFields.map { ($0.name, .double($0.value)) }
    }

    private func sendStepTelemetry(_ step: Int) {
        let seconds = max(Date().timeIntervalSince(telemetryWindowStart), 1e-9)
        telemetry.emit(.step, step: step, fields: stepFields(telemetryWindow, seconds: seconds,
                                                              steps: configuration.telemetry.every, resets: resets.count))
        if let reducedBytes {
            telemetry.emit(.allreduce, step: step, fields: [
                ("bytes", .int(reducedBytes)), ("seconds", .double(allreduceWindowSeconds)),
                ("steps", .int(configuration.telemetry.every)),
            ])
        }
        allreduceWindowSeconds = 0
        telemetryWindow = StepFigures()
        telemetryWindowStart = Date()
    }

    /// A line of `metrics.jsonl`: the window's figures summed over ranks (a collective).
    func log(_ step: Int) throws {
        var seconds = max(Date().timeIntervalSince(windowStart), 1e-9)
        let figures = try reduce(window)
        try communicator.allreduceMax(&seconds, count: 1)
        let steps = window.speakerBatches / max(speakers, 1)
        try appendMetrics(.step, step: step, stepFields(figures, seconds: seconds, steps: steps, resets: resets.count * communicator.size)
            + [("cross_rank_games", .int(figures.crossRankGames))])
        lastWindow = window
        window = StepFigures()
        windowStart = Date()
    }

    func evaluated(_ evaluation: ReducedEvaluation, step: Int) throws {
        lastEvaluation = evaluation
        // Cross-play covers the whole job: rank 0 sends it once.
        let crossPlay = isRoot ? (evaluation.crossPlay.map { $0.figures.map { ($0.name, JSONValue.double($0.value)) } + [("crossplay", $0.json)] } ?? []) : []
        telemetry.emit(.eval, step: step, fields: evaluation.local.figures.map { ($0.name, .double($0.value)) } + crossPlay)
        try appendMetrics(.eval, step: step, evaluation.fields)
        try writeInteractions(evaluation.local.interactions, step: step)
    }

    /// The first `eval.interactions` games of this rank's evaluation, every
    /// rank's, as JSON lines in `interactions/step-NNNNNNN.jsonl.gz` (rank 0;
    /// a collective when asked for).
    private func writeInteractions(_ interactions: [Interaction], step: Int) throws {
        guard configuration.eval.interactions > 0 else { return }
        var lines = ""
        for game in interactions.prefix(configuration.eval.interactions) {
            lines += JSONValue.object([
                ("rank", .int(communicator.rank)), ("speaker", .int(game.speaker)), ("listener", .int(game.listener)),
                ("target", .int(game.target)), ("target_is", .string(game.targetDescription)),
                ("message", .array(game.message.map { .int($0) })), ("choice", .int(game.choice)), ("reward", .int(game.reward)),
            ]).serialized + "\n"
        }
        let all = try communicator.gatherStrings(lines)
        guard isRoot, let run else { return }
        let folder = run.url.appendingPathComponent(Self.interactionsFolder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try CompressedFile.write(all.joined(), to: folder.appendingPathComponent("step-" + String(format: "%07d", step) + ".jsonl.gz").path)
    }

    static let interactionsFolder = "interactions"

    /// This rank's curve (telemetry) and the curve averaged over ranks (the
    /// log, the summary); the log also keeps how long the slowest rank took.
    /// Every listener's curve, from every rank, goes to
    /// `ease_of_teaching/step-NNNNNNN.tsv` (rank 0; a collective).
    func easeMeasured(local: EaseOfTeaching, reduced: EaseOfTeaching, listenersPerSpeaker: Int,
                      seconds: Double, step: Int) throws {
        let speed = { (measured: EaseOfTeaching) in measured.speedFigures.map { ($0.name, JSONValue.double($0.value)) } }
        telemetry.emit(.easeOfTeaching, step: step, fields: [
            ("curve", .array(local.summarized(points: 20).map { .double($0) })), ("area", .double(local.area)),
        ] + speed(local))
        easeOfTeaching = reduced
        localEaseOfTeaching = local
        try appendMetrics(.easeOfTeaching, step: step, [
            ("area", .double(reduced.area)),
        ] + speed(reduced) + [
            ("choices", .string(configuration.eval.easeChoices.rawValue)),
            ("curve", .array(reduced.summarized(points: 20).map { .double($0) })),
            ("seconds", .double(seconds)),
        ])
        var table = ""
        for (index, curve) in local.curves.enumerated() {
            // Accuracies are counts over a batch: a Float prints them shortest.
            table += "\(communicator.rank)\t\(index / listenersPerSpeaker)\t\(index % listenersPerSpeaker)\t"
                + curve.map { "\(Float($0))" }.joined(separator: " ") + "\n"
        }
        let tables = try communicator.gatherStrings(table)
        if isRoot, let run {
            try FileManager.default.createDirectory(at: run.url.appendingPathComponent(Self.easeFolder),
                                                    withIntermediateDirectories: true)
            try run.write(Self.easeCurvesFile(step: step), "rank\tspeaker\tlistener\taccuracy per step\n" + tables.joined())
        }
    }

    /// Where every fresh listener's curve of a measurement is kept.
    static let easeFolder = "ease_of_teaching"
    static func easeCurvesFile(step: Int) -> String { easeFolder + "/" + "step-" + String(format: "%07d", step) + ".tsv" }

    /// A line of `metrics.jsonl` (rank 0), its kinds named as telemetry's events.
    func appendMetrics(_ kind: EventKind, step: Int, _ fields: [(String, JSONValue)]) throws {
        guard isRoot, let run else { return }
        try run.appendMetrics(JSONValue.object([("kind", .string(kind.rawValue)), ("step", .int(step))] + fields).serialized)
    }

    /// The progress line, at most once a second (rank 0), or now when `force`.
    func showProgress(_ step: Int, force: Bool = false) {
        guard isRoot, force || Date().timeIntervalSince(lastProgress) >= 1 else { return }
        lastProgress = Date()
        let figures = window.games > 0 ? window : lastWindow
        let elapsed = max(Date().timeIntervalSince(windowStart), 1e-9)
        if window.games > 0 {
            progressRate = Double(window.games) / elapsed
            stepRate = Double(window.speakerBatches / max(speakers, 1)) / elapsed
        }
        let remaining = Double(configuration.train.steps - step) / max(stepRate, 1e-9)
        let eta = step >= configuration.train.steps ? "done" : stepRate > 0 ? "ETA \(Format.duration(remaining))" : "ETA -"
        let spread = lastEvaluation?.spread.dropFirst().map { "\($0.name) \(Format.fixed(lastEvaluation?[$0.name] ?? 0, 2))" }
        let ranks = communicator.size > 1 ? "  (rank 0 of \(communicator.size))" : ""
        progress.show(
            "step \(step)/\(configuration.train.steps) (\(eta))  games/s \(Format.thousands(progressRate))  "
                + "accuracy \(Format.fixed(figures.accuracy, 3))  entropy \(Format.fixed(figures.meanSpeakerEntropy, 2))  "
                + (spread ?? ["topsim -"]).joined(separator: "  ") + "  resets \(resets.count)\(ranks)")
    }

    /// The summary, then `lexicon.tsv` and `summary.json` (rank 0) and the
    /// run's last event (a collective).
    func finish(population: Population, wall: Double) throws -> Summary {
        let summary = try summary(population: population, wall: wall)
        let lexicons = try lexiconTable(lastEvaluation?.local.lexicons ?? [], game: population.game)
        if let run, let lexicons {
            try run.write("lexicon.tsv", lexicons)
            try run.write("summary.json", summary.json)
            run.close()
        }
        telemetry.emit(.runFinished, step: configuration.train.steps, fields: [("summary", summary.value)])
        return summary
    }

    /// Every rank's lexicons, a row per speaker and object, as one table (a
    /// collective): the text on rank 0, nil on the others.
    func lexiconTable(_ lexicons: [Lexicon], game: ReferentialGame) throws -> String? {
        var table = ""
        for (s, lexicon) in lexicons.enumerated() { table += lexicon.tsv(prefix: "\(communicator.rank)\t\(s)\t", game: game) }
        let tables = try communicator.gatherStrings(table)
        return isRoot ? "rank\tspeaker\tobject\t\(game.descriptionColumn)\tmessage\n" + tables.joined() : nil
    }

    /// The progress line during an ease-of-teaching measurement (rank 0, at most once a second).
    func showEaseProgress(step: Int, taught: Int, of total: Int, since started: Date) {
        guard isRoot, Date().timeIntervalSince(lastProgress) >= 1 || taught == total else { return }
        lastProgress = Date()
        let elapsed = Date().timeIntervalSince(started)
        let remaining = elapsed / Double(max(taught, 1)) * Double(total - taught)
        progress.show("step \(step)/\(configuration.train.steps): ease of teaching, listener \(taught)/\(total) (ETA \(Format.duration(remaining)))")
    }

    /// Sums figures over ranks (a collective: every rank calls it at the same steps).
    func reduce(_ figures: StepFigures) throws -> StepFigures {
        var packed = figures.packed
        try communicator.allreduceSum(&packed, count: packed.count)
        return StepFigures(packed: packed)
    }

    /// The run's summary (a collective; the same on every rank).
    func summary(population: Population, wall localWall: Double) throws -> Summary {
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
        let steps = configuration.train.steps
        return Summary(
            steps: steps, worldSize: communicator.size, games: totals.games,
            gamesPerSecond: Double(totals.games) / max(wall, 1e-9),
            stepsPerSecond: Double(steps) / max(wall, 1e-9), wallSeconds: wall,
            allreduceSeconds: allreduce,
            accuracy: evaluation?["accuracy"] ?? 0,
            trainingAccuracy: lastTotals.games > 0 ? lastTotals.accuracy : totals.accuracy,
            topographicSimilarity: evaluation?["topsim"] ?? 0,
            topographicSimilarityLiBowling: evaluation?["topsim_li_bowling"],
            entropy: evaluation?["entropy"] ?? 0,
            resets: resets.count * communicator.size, crossRankGames: totals.crossRankGames,
            crossRankReplies: totals.crossRankReplies,
            telemetryDropped: Int(dropped),
            sharedEncoderChecksum: population.sharedEncoder?.module.parameters.checksum(),
            parametersChecksum: combined,
            heldoutAccuracy: evaluation?["heldout_accuracy"],
            positionalDisentanglement: evaluation?["posdis"],
            bagOfSymbolsDisentanglement: evaluation?["bosdis"],
            lexiconSize: evaluation?["lexicon_size"],
            easeOfTeaching: easeOfTeaching,
            evaluationFigures: evaluation?.figures ?? [])
    }
}
