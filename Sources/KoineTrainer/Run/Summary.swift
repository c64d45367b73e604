import KoineGame
import KoineTelemetry

/// The final figures of a run, as `summary.json` holds them (stable
/// snake_case names; timing fields vary run to run, the rest is deterministic).
public struct Summary {
    public var steps: Int
    public var worldSize: Int
    public var games: Int
    public var gamesPerSecond: Double
    public var stepsPerSecond: Double
    public var wallSeconds: Double
    /// Time spent waiting for the shared encoder's all-reduce (slowest rank).
    public var allreduceSeconds: Double
    public var accuracy: Double
    public var trainingAccuracy: Double
    public var topographicSimilarity: Double
    /// Li & Bowling's topsim (ordered pairs with self-pairs; see TopographicSimilarity.liBowling).
    public var topographicSimilarityLiBowling: Double?
    public var entropy: Double
    public var resets: Int
    public var crossRankGames: Int
    public var crossRankReplies: Int
    public var telemetryDropped: Int
    public var sharedEncoderChecksum: UInt64?
    public var parametersChecksum: UInt64
    public var heldoutAccuracy: Double?
    public var positionalDisentanglement: Double?
    public var bagOfSymbolsDisentanglement: Double?
    public var lexiconSize: Double?
    /// The last ease-of-teaching measurement: its whole area, then its speed
    /// figures (`ease_of_teaching_accuracy_50` and so on).
    public var easeOfTeaching: EaseOfTeaching?
    /// The last evaluation's other figures, under their own names (the image
    /// game's `top5`, `class_rank`, `rotation_accuracy` and so on).
    public var evaluationFigures: [(name: String, value: Double)] = []

    /// Evaluation figures the fields above already carry.
    static let namedEvaluationFigures: Set<String> = ["accuracy", "topsim", "topsim_li_bowling", "entropy", "heldout_accuracy",
                                                      "posdis", "bosdis", "lexicon_size"]

    /// Fields that depend on the clock, not on the computation.
    public static let timingFields: Set<String> = ["games_per_second", "steps_per_second", "wall_seconds", "allreduce_seconds", "telemetry_dropped"]

    public var fields: [(String, JSONValue)] {
        func hex(_ x: UInt64) -> JSONValue { .string(String(format: "%016llx", x)) }
        var out: [(String, JSONValue)] = [
            ("steps", .int(steps)), ("world_size", .int(worldSize)), ("games", .int(games)),
            ("games_per_second", .double(gamesPerSecond)), ("steps_per_second", .double(stepsPerSecond)),
            ("wall_seconds", .double(wallSeconds)), ("allreduce_seconds", .double(allreduceSeconds)),
            ("accuracy", .double(accuracy)), ("training_accuracy", .double(trainingAccuracy)),
            ("topsim", .double(topographicSimilarity)),
            ("topsim_li_bowling", topographicSimilarityLiBowling.map { .double($0) } ?? .null),
            ("entropy", .double(entropy)),
            ("resets", .int(resets)), ("cross_rank_games", .int(crossRankGames)),
            ("cross_rank_replies", .int(crossRankReplies)),
            ("telemetry_dropped", .int(telemetryDropped)),
            ("shared_encoder_checksum", sharedEncoderChecksum.map(hex) ?? .null),
            ("parameters_checksum", hex(parametersChecksum)),
        ]
        if let heldoutAccuracy { out.append(("heldout_accuracy", .double(heldoutAccuracy))) }
        if let positionalDisentanglement { out.append(("posdis", .double(positionalDisentanglement))) }
        if let bagOfSymbolsDisentanglement { out.append(("bosdis", .double(bagOfSymbolsDisentanglement))) }
        if let lexiconSize { out.append(("lexicon_size", .double(lexiconSize))) }
        for (name, value) in easeOfTeaching?.namedFigures ?? [] { out.append((name, .double(value))) }
        for (name, value) in evaluationFigures where !Summary.namedEvaluationFigures.contains(name) {
            out.append((name, .double(value)))
        }
        return out
    }

    public var value: JSONValue { .object(fields) }

    /// One key per line, for people and for `jq`.
    public var json: String {
        "{\n" + fields.map { "  \(JSONValue.string($0.0).serialized): \($0.1.serialized)" }.joined(separator: ",\n") + "\n}\n"
    }
}

import Foundation
import KoineGame

extension EaseOfTeaching {
    /// The measurement's figures as summary.json names them (and `pbt.fitness`
    /// may): `ease_of_teaching`, the whole area, then the speed figures.
    var namedFigures: [(name: String, value: Double)] {
        [("ease_of_teaching", area)] + speedFigures.map { ("ease_of_teaching_" + $0.name, $0.value) }
    }
}
