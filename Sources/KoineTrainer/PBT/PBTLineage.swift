import Foundation
import KoineTelemetry

/// What a population-based training round leaves behind: a `pbt` line per
/// member in metrics.jsonl (rank 0, which knows the whole round), a `pbt`
/// event per member (each rank its own), and every member's lexicon as the
/// round judged it, in `pbt/step-NNNNNNN.tsv`.
extension Reporter {
    static let lineageFolder = "pbt"
    static func lineageLexiconFile(step: Int) -> String { lineageFolder + "/step-" + String(format: "%07d", step) + ".tsv" }

    /// Every member's lexicons before the round changes anything (a collective).
    func keepLexicons(of population: Population, step: Int) throws {
        let lexicons = population.speakers.indices.map { population.lexicon(of: $0) }
        guard let table = try lexiconTable(lexicons, game: population.game), let run else { return }
        try FileManager.default.createDirectory(at: run.url.appendingPathComponent(Self.lineageFolder), withIntermediateDirectories: true)
        try run.write(Self.lineageLexiconFile(step: step), table)
    }

    /// The round's lineage: every member's line, and this rank's event.
    func recordRound(_ round: PBTRound, explored: [ExploredHyperparameter]) throws {
        for member in round.choices.indices {
            let fields = Reporter.lineageFields(round, member: member, explored: explored)
            if member == communicator.rank { telemetry.emit(.pbt, step: round.step, fields: fields) }
            try appendMetrics(.pbt, step: round.step, [("rank", .int(member))] + fields)
        }
    }

    /// Member `member`'s part of a round: its fitness, whether it copied and
    /// whom (with that member's fitness), its hyperparameters before and after.
    static func lineageFields(_ round: PBTRound, member: Int, explored: [ExploredHyperparameter]) -> [(String, JSONValue)] {
        func hex(_ checksum: UInt64) -> String { String(format: "%016llx", checksum) }
        func named(_ values: [Double]) -> JSONValue {
            .object(zip(explored, values).map { ($0.name.rawValue, .double($1)) })
        }
        let source = round.choices[member].source
        return [
            ("fitness", .double(round.fitness[member])),
            ("action", .string(source == nil ? "keep" : "copy")),
            ("source", source.map { .int($0) } ?? .null),
            ("source_fitness", source.map { .double(round.fitness[$0]) } ?? .null),
            ("before", named(round.before[member])),
            ("after", named(round.choices[member].hyperparameters)),
            ("state_before", .string(hex(round.stateBefore[member]))),
            ("state_after", .string(hex(round.stateAfter[member]))),
        ]
    }
}
