import Foundation
import Yams

/// A pre-registered study (`koine compare --study FILE`): written and committed
/// before the runs, it names the endpoints, the conditions each compares, the
/// test and α, so the report can put exactly those first and everything else
/// under "exploratory".
public struct StudyPlan: Codable, Equatable {
    /// The test an endpoint is decided by, on the runs' final values.
    public enum Test: String, Codable, CaseIterable {
        case pairedT = "paired-t", wilcoxon, welch, mannWhitney = "mann-whitney"
    }

    public struct Endpoint: Codable, Equatable {
        public let figure: String
        /// First minus second.
        public let first: String
        public let second: String
        public let test: Test
        /// The smallest difference of interest and the spread assumed when
        /// planning: the report states the power they give.
        public let effect: Double?
        public let standardDeviation: Double?
        /// The seeds planned for this endpoint's conditions, when not the study's.
        public let seeds: String?

        public init(figure: String, first: String, second: String, test: Test, effect: Double? = nil,
                    standardDeviation: Double? = nil, seeds: String? = nil) {
            self.figure = figure
            self.first = first
            self.second = second
            self.test = test
            self.effect = effect
            self.standardDeviation = standardDeviation
            self.seeds = seeds
        }
    }

    public let title: String
    public let registered: String?
    public let alpha: Double
    /// Holm–Bonferroni within the primary and within the secondary endpoints.
    public let holm: Bool
    /// What was planned, as written (the report sets the runs found beside it).
    public let seeds: String?
    public let steps: Int?
    public let primary: [Endpoint]
    public let secondary: [Endpoint]
    /// The file it was read from.
    public let source: String

    /// Larger than any study file a person writes.
    static let largestBytes = 1 << 20

    static let topKeys = ["study", "registered", "alpha", "correction", "runs", "primary", "secondary"]
    static let endpointKeys = ["figure", "conditions", "test", "effect", "sd", "seeds"]

    /// Reads and checks `path`; a mistake is a `StudyError` naming the file and key.
    public static func load(_ path: String) throws -> StudyPlan {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw StudyError("--study \(path): cannot read (\(String(cString: strerror(errno))))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw StudyError("--study \(path): expected a YAML file, not a directory or special file") }
        guard Int(status.st_size) <= largestBytes else {
            throw StudyError("--study \(path): \(status.st_size) bytes; a study file has at most \(largestBytes)")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw StudyError("--study \(path): expected UTF-8 YAML")
        }
        return try parse(text, source: path)
    }

    public static func parse(_ text: String, source: String) throws -> StudyPlan {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            let reason = "\(error)".split(whereSeparator: \.isWhitespace).joined(separator: " ")
            throw StudyError("\(source): malformed YAML: \(reason.prefix(200))")
        }
        guard let top = node?.mapping else { throw StudyError("\(source): expected a mapping of study, alpha, primary and so on") }
        let fields = try Fields(top, path: "", source: source, allowed: topKeys)
        guard let title = try fields.text("study") else { throw StudyError("\(source): study: missing; expected the study's name") }
        guard let alpha = try fields.number("alpha") else {
            throw StudyError("\(source): alpha: missing; expected the significance level, e.g. alpha: 0.05")
        }
        guard alpha > 0 && alpha < 0.5 else { throw StudyError("\(source): alpha: expected a number between 0 and 0.5, e.g. 0.05, got \(alpha)") }
        let correction = try fields.text("correction") ?? "holm"
        guard ["holm", "none"].contains(correction) else {
            throw StudyError("\(source): correction: expected holm or none, got \(correction)")
        }
        var seeds: String?, steps: Int?
        if let runs = fields.values["runs"] {
            guard let mapping = runs.mapping else { throw StudyError("\(source): runs: expected a mapping of seeds and steps") }
            let planned = try Fields(mapping, path: "runs.", source: source, allowed: ["seeds", "steps"])
            seeds = try planned.text("seeds")
            if let seeds, (try? SeedList.parse(seeds)) == nil {
                throw StudyError("\(source): runs.seeds: expected seeds such as 1-50 or 1,3,5, got \(seeds)")
            }
            if let number = try planned.number("steps") {
                guard number >= 1, number == number.rounded(), number < 1e15 else {
                    throw StudyError("\(source): runs.steps: expected a whole number ≥ 1, got \(number)")
                }
                steps = Int(number)
            }
        }
        let primary = try endpoints(fields.values["primary"], key: "primary", source: source)
        guard !primary.isEmpty else { throw StudyError("\(source): primary: missing; expected at least one endpoint (figure, conditions, test)") }
        let secondary = try endpoints(fields.values["secondary"], key: "secondary", source: source)
        return StudyPlan(title: title, registered: try fields.text("registered"), alpha: alpha, holm: correction == "holm",
                         seeds: seeds, steps: steps, primary: primary, secondary: secondary, source: source)
    }

    private static func endpoints(_ node: Node?, key: String, source: String) throws -> [Endpoint] {
        guard let node else { return [] }
        guard let sequence = node.sequence else { throw StudyError("\(source): \(key): expected a list of endpoints") }
        return try sequence.enumerated().map { index, item in
            let path = "\(key)[\(index)]"
            guard let mapping = item.mapping else { throw StudyError("\(source): \(path): expected a mapping of figure, conditions and test") }
            let fields = try Fields(mapping, path: path + ".", source: source, allowed: endpointKeys)
            guard let figure = try fields.text("figure"), !figure.isEmpty else {
                throw StudyError("\(source): \(path).figure: missing; expected a figure of summary.json, e.g. topsim_li_bowling")
            }
            guard let names = fields.values["conditions"]?.sequence?.compactMap(\.scalar?.string), names.count == 2,
                  fields.values["conditions"]?.sequence?.count == 2, names[0] != names[1] else {
                throw StudyError("\(source): \(path).conditions: expected two different condition names, [A, B] (A minus B)")
            }
            guard let testName = try fields.text("test") else {
                throw StudyError("\(source): \(path).test: missing; expected one of " + Test.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard let test = Test(rawValue: testName) else {
                throw StudyError("\(source): \(path).test: expected one of " + Test.allCases.map(\.rawValue).joined(separator: ", ") + ", got \(testName)")
            }
            let effect = try fields.number("effect"), spread = try fields.number("sd")
            guard (effect == nil) == (spread == nil) else {
                throw StudyError("\(source): \(path): effect and sd go together (the difference of interest and the spread assumed)")
            }
            if let effect, let spread, !(effect != 0 && spread > 0) {
                throw StudyError("\(source): \(path): expected effect ≠ 0 and sd > 0, got effect \(effect), sd \(spread)")
            }
            let seeds = try fields.text("seeds")
            if let seeds, (try? SeedList.parse(seeds)) == nil {
                throw StudyError("\(source): \(path).seeds: expected seeds such as 1-20 or 1,3,5, got \(seeds)")
            }
            return Endpoint(figure: figure, first: names[0], second: names[1], test: test, effect: effect,
                            standardDeviation: spread, seeds: seeds)
        }
    }

    /// A mapping's scalar fields by name, its keys checked against `allowed`.
    private struct Fields {
        let values: [String: Node]
        let path: String
        let source: String

        init(_ mapping: Node.Mapping, path: String, source: String, allowed: [String]) throws {
            var values: [String: Node] = [:]
            for (key, value) in mapping {
                guard let name = key.scalar?.string else { throw StudyError("\(source): \(path.isEmpty ? "top level" : path): keys must be plain names") }
                guard allowed.contains(name) else {
                    throw StudyError("\(source): \(path)\(name): unknown key; expected one of " + allowed.joined(separator: ", "))
                }
                guard values[name] == nil else { throw StudyError("\(source): \(path)\(name): appears twice") }
                values[name] = value
            }
            self.values = values
            self.path = path
            self.source = source
        }

        func text(_ name: String) throws -> String? {
            guard let node = values[name] else { return nil }
            guard let scalar = node.scalar else { throw StudyError("\(source): \(path)\(name): expected a single value") }
            return scalar.string
        }

        func number(_ name: String) throws -> Double? {
            guard let text = try text(name) else { return nil }
            guard let value = Double(text), value.isFinite else {
                throw StudyError("\(source): \(path)\(name): expected a number, got \(text)")
            }
            return value
        }
    }
}
