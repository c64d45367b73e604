import ArgumentParser
import Foundation
import KoineTelemetry
import KoineTensor
import KoineTrainer

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Intervene on a trained speaker's messages and see what its listener makes of them.",
        discussion: """
            From the run's newest complete checkpoint: the speaker's greedy lexicon scrambled across objects, each \
            position replaced by random symbols, neighbouring positions swapped, every symbol zero; each played by the \
            listener on the evaluation games (the image game's held-out scenes), with how often the chosen object shares \
            each attribute (the image game: the class) with the target.
            """)

    @Argument(help: "The run directory.")
    var directory: String

    @Option(name: .long, help: "Which rank's agents.")
    var rank = 0

    @Option(name: .long, help: "Which speaker of that rank.")
    var speaker = 0

    @Option(name: .long, help: "Which listener of that rank.")
    var listener = 0

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let probe: Probe
        do {
            BLAS.prepareComputeThread()
            probe = try Probe(run: directory, rank: rank, speaker: speaker, listener: listener)
        } catch let error as ConfigurationError {
            throw UsageFailure(error.message)
        }
        if json {
            print(JSONValue.object([
                ("step", .int(probe.step)), ("rank", .int(rank)), ("speaker", .int(speaker)), ("listener", .int(listener)),
                ("interventions", .array(probe.interventions.map { i in
                    .object([("name", .string(i.name)), ("accuracy", .double(i.accuracy)),
                             ("causal_influence", .double(i.causalInfluence)), ("speaker_consistency", .double(i.consistency)),
                             (probe.traits.key, .array(i.sharedWithTarget.map { .double($0) }))])
                })),
            ]).serialized)
            return
        }
        print("speaker \(speaker) and listener \(listener) of rank \(rank), step \(probe.step) of \(TerminalText.safe(directory)):")
        print(["intervention".padding(toLength: 32, withPad: " ", startingAt: 0), "accuracy", "causal influence (bits)",
               "consistency"].joined(separator: "\t") + probe.traits.columns.map { "\t\($0)" }.joined())
        for i in probe.interventions {
            print([i.name.padding(toLength: 32, withPad: " ", startingAt: 0), String(format: "%.3f", i.accuracy),
                   String(format: "%.3f", i.causalInfluence), String(format: "%.3f", i.consistency)].joined(separator: "\t")
                  + i.sharedWithTarget.map { String(format: "\t%.3f", $0) }.joined())
        }
    }
}
