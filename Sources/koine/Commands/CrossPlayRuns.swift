import ArgumentParser
import Foundation
import KoineTelemetry
import KoineTensor
import KoineTrainer

struct CrossPlayRuns: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossplay",
        abstract: "Play run A's speakers with run B's trained listeners (zero-shot), and optionally teach A's languages to fresh listeners of B's kind.",
        discussion: """
            A's speakers come from its lexicon.tsv, B's listeners from its newest complete checkpoint, every rank; \
            both runs must play the same attribute game. Accuracy is greedy, on B's evaluation games.
            """)

    @Argument(help: "Run A: the speakers.")
    var first: String

    @Argument(help: "Run B: the listeners.")
    var second: String

    @Option(name: .long, help: "Also teach each of A's languages to B's eval.ease_of_teaching.listeners fresh listeners for N steps.")
    var teach: Int?

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func run() throws {
        if let teach, teach < 1 || teach > 1_000_000 {
            throw UsageFailure("--teach \(teach): expected a number of steps from 1 to 1000000")
        }
        let measured: RunCrossPlay
        do {
            BLAS.prepareComputeThread()
            measured = try RunCrossPlay(speakersOf: first, listenersOf: second, teach: teach) { step in
                FileHandle.standardError.write(Data("crossplay: \(step)\n".utf8))
            }
        } catch let error as ConfigurationError {
            throw UsageFailure(error.message)
        }
        if json {
            let document = JSONValue.object([
                ("speakers", .array(measured.speakers.map { .array([.int($0.rank), .int($0.index)]) })),
                ("listeners", .array(measured.listeners.map { .array([.int($0.rank), .int($0.index)]) })),
                ("accuracy", .array(measured.matrix.map { .array($0.map { .double($0) }) })),
                ("mean_accuracy", .double(measured.meanAccuracy)),
                ("taught", measured.taught.map { taught in
                    .array(taught.map { ease in .object([("area", .double(ease.area))] + ease.speedFigures.map { ($0.name, .double($0.value)) }) })
                } ?? .null),
            ])
            print(document.serialized)
            return
        }
        print("\(TerminalText.safe(first))'s speakers (rows) with \(TerminalText.safe(second))'s listeners (columns), greedy accuracy:")
        print("speaker\t" + measured.listeners.map { "L\($0.rank).\($0.index)" }.joined(separator: "\t"))
        for (row, speaker) in zip(measured.matrix, measured.speakers) {
            print("S\(speaker.rank).\(speaker.index)\t" + row.map { String(format: "%.3f", $0) }.joined(separator: "\t"))
        }
        print(String(format: "mean over pairs: %.3f", measured.meanAccuracy))
        if let taught = measured.taught, let steps = teach {
            print("fresh listeners of \(TerminalText.safe(second))'s kind taught each speaker's language for \(steps) steps:")
            for (ease, speaker) in zip(taught, measured.speakers) {
                let figures = [("area", ease.area)] + ease.speedFigures
                print("S\(speaker.rank).\(speaker.index)\t" + figures.map { "\($0.0) " + String(format: $0.0.hasPrefix("steps") ? "%.0f" : "%.3f", $0.1) }.joined(separator: ", "))
            }
        }
    }
}
