import ArgumentParser
import Foundation
import KoineGame
import KoineTelemetry
import KoineTensor
import KoineTrainer

struct Teach: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure how easily fresh listeners learn a language read from a lexicon.tsv.",
        discussion: """
            The game, the agents and eval.ease_of_teaching (listeners, steps, choices, entropy) come from \
            --config, as in a run; the lexicon from a run's lexicon.tsv or any file of its form.
            """)

    @Argument(help: "A lexicon.tsv: `rank speaker object description message` per line after a header.")
    var lexicon: String

    @Option(name: .long, help: "The YAML configuration whose game and agents the listeners play with.")
    var config: String

    @Option(name: .customLong("set"), help: "Override a configuration key, e.g. --set eval.ease_of_teaching.choices=sampled (repeatable).")
    var overrides: [String] = []

    @Option(name: .long, help: "Whose messages to teach: RANK:SPEAKER as lexicon.tsv numbers them.")
    var speaker: String = "0:0"

    @Option(name: .long, help: "Write every listener's curve and the figures as JSON to FILE.")
    var json: String?

    @Flag(name: .long, help: "No progress line.")
    var quiet = false

    func run() throws {
        let parts = speaker.split(separator: ":").map { Int($0) }
        guard parts.count == 2, let rank = parts[0], let index = parts[1], rank >= 0, index >= 0 else {
            throw UsageFailure("--speaker \(speaker): expected RANK:SPEAKER, two numbers ≥ 0 such as 0:0")
        }
        let configuration: Configuration
        let measured: EaseOfTeaching
        let started = Date()
        do {
            configuration = try Configuration.load(file: config, overrides: overrides)
            let total = configuration.eval.easeListeners
            var shown = Date.distantPast
            BLAS.prepareComputeThread()
            measured = try LexiconTeaching.measure(configuration: configuration, lexicon: lexicon, speaker: (rank, index)) { taught in
                guard !quiet, Date().timeIntervalSince(shown) >= 1 || taught == total else { return }
                shown = Date()
                let elapsed = Date().timeIntervalSince(started)
                let remaining = elapsed / Double(taught) * Double(total - taught)
                FileHandle.standardError.write(Data("\rlistener \(taught)/\(total) (ETA \(Format.duration(remaining)))   ".utf8))
            }
            if !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        } catch let error as ConfigurationError {
            throw UsageFailure(error.message)
        }
        let seconds = Date().timeIntervalSince(started)
        let figures = [("area", measured.area)] + measured.speedFigures
        print("taught \(TerminalText.safe(lexicon)) to \(configuration.eval.easeListeners) fresh listeners × \(configuration.eval.easeSteps) steps (\(configuration.eval.easeChoices.rawValue)), \(String(format: "%.1f", seconds)) s:")
        for (name, value) in figures { print("  \(name)\t\(String(format: name.hasPrefix("steps") ? "%.0f" : "%.4f", value))") }
        if let json {
            let document = JSONValue.object([
                ("source", .string("koine")), ("lexicon", .string(lexicon)), ("speaker", .string(speaker)),
                ("choices", .string(configuration.eval.easeChoices.rawValue)), ("listeners", .int(configuration.eval.easeListeners)),
                ("steps", .int(configuration.eval.easeSteps)), ("seed", .int(configuration.seed)), ("seconds", .double(seconds)),
                ("figures", .object(figures.map { ($0.0, .double($0.1)) })),
                ("curves", .array(measured.curves.map { .array($0.map { .double(Double(Float($0))) }) })),
            ])
            do {
                try DurableFile.write(Array((document.serialized + "\n").utf8), to: json)
            } catch {
                throw RunFileFailure(file: json, reason: "\(error)")
            }
        }
    }
}
