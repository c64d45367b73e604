import Foundation
import GRDB
import KoineTelemetry

/// A run's curves as `koine report --plot` draws them: for each figure, each
/// rank's (step, value) points, and the steps at which each rank reset an agent.
public struct RunCurves {
    public var run: String
    /// Figure name → rank → points in step order.
    public var figures: [(name: String, ranks: [(rank: Int, points: [(step: Int, value: Double)])])]
    public var resets: [Int: [Int]]

    /// The figures drawn: a name, the event kind and the field it comes from.
    public static let drawn: [(name: String, kind: EventKind, field: String)] = [
        ("training accuracy", .step, "accuracy"), ("evaluation accuracy", .eval, "accuracy"),
        ("topsim", .eval, "topsim"), ("speaker entropy", .step, "entropy"), ("games per second", .step, "games_per_second"),
    ]

    /// Every run's curves (or only `run`'s) from the database at `path`.
    public static func load(path: String, run: String? = nil) throws -> [RunCurves] {
        let (queue, _) = try TelemetryDatabase.open(path: path, configuration: TelemetryDatabase.configuration(readonly: true)) { _ in () }
        return try queue.read { db in
            let names = RunSelection.pick(try String.fetchAll(db, sql: "SELECT run FROM runs ORDER BY first_seen, run"), run)
            return try names.map { name in
                var figures: [(name: String, ranks: [(rank: Int, points: [(step: Int, value: Double)])])] = []
                for figure in drawn {
                    var byRank: [Int: [(step: Int, value: Double)]] = [:]
                    let rows = try Row.fetchCursor(db, sql: """
                        SELECT rank, step, json_extract(body, ?) AS value FROM events
                        WHERE run = ? AND kind = ? AND step IS NOT NULL ORDER BY rank, step, seq
                        """, arguments: ["$.\(figure.field)", name, figure.kind.rawValue])
                    while let row = try rows.next() {
                        // Stored rows are read defensively (StoredValues): a value that is not a number is skipped.
                        guard let rank = row.wholeNumber("rank"), let step = row.wholeNumber("step"),
                              let value = row.realNumber("value"), value.isFinite else { continue }
                        byRank[rank, default: []].append((step, value))
                    }
                    if !byRank.isEmpty { figures.append((figure.name, byRank.keys.sorted().map { ($0, byRank[$0]!) })) }
                }
                var resets: [Int: [Int]] = [:]
                for row in try Row.fetchAll(db, sql: """
                    SELECT rank, step FROM events WHERE run = ? AND kind = ? AND step IS NOT NULL ORDER BY step
                    """, arguments: [name, EventKind.reset.rawValue]) {
                    if let rank = row.wholeNumber("rank"), let step = row.wholeNumber("step") { resets[rank, default: []].append(step) }
                }
                return RunCurves(run: name, figures: figures, resets: resets)
            }
        }
    }
}
