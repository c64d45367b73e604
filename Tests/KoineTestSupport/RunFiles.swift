import Foundation

/// Reading a finished run directory in tests, with the figures that depend
/// on the clock set aside so two runs can be compared exactly.
public enum RunFiles {
    /// Fields of summary.json (as Summary.timingFields) and metrics.jsonl
    /// (an ease-of-teaching measurement's `seconds`) that depend on the clock.
    public static let timingFields: Set<String> = ["games_per_second", "steps_per_second", "wall_seconds", "allreduce_seconds",
                                                   "telemetry_dropped", "seconds"]

    public static func summary(_ run: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: run).appendingPathComponent("summary.json"))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return object
    }

    /// The summary without its timing fields, values as text.
    public static func figures(_ run: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in try summary(run) where !timingFields.contains(key) { out[key] = "\(value)" }
        return out
    }

    /// metrics.jsonl, one canonical line per event, timing fields removed.
    public static func deterministicMetrics(_ run: String) throws -> [String] {
        try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            guard var object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw CocoaError(.fileReadCorruptFile)
            }
            for key in timingFields { object.removeValue(forKey: key) }
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: .sortedKeys), as: UTF8.self)
        }
    }
}
