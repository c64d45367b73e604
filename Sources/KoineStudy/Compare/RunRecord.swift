import Foundation

/// What `koine compare` reads from one run directory: the numeric fields of
/// summary.json and the figures of metrics.jsonl's lines, by name, so a figure
/// the trainer adds later flows through without a change here.
public struct RunRecord {
    public struct Evaluation {
        public let step: Int
        public let figures: [String: Double]
    }

    public struct EaseOfTeaching {
        public let step: Int
        /// The mean accuracy of fresh listeners over their training.
        public let area: Double
        public let curve: [Double]
    }

    public let directory: String
    /// Numeric fields of summary.json; nil while the run is unfinished.
    public let summary: [String: Double]?
    /// `eval` lines, without the spread over ranks (`*_min`, `*_max`).
    public let evaluations: [Evaluation]
    /// `step` lines' training accuracy, by step.
    public let trainingAccuracy: [(step: Int, value: Double)]
    /// The steps before which an agent was reset.
    public let resets: [Int]
    public let easeOfTeaching: [EaseOfTeaching]
    /// config.yaml as written by the trainer.
    public let configuration: String
    /// The run's seed (config.yaml's top-level `seed`): runs of two conditions
    /// with the same seed are a pair.
    public var seed: Int? {
        configuration.split(separator: "\n").first { $0.hasPrefix("seed:") }
            .flatMap { Int($0.dropFirst("seed:".count).trimmingCharacters(in: .whitespaces)) }
    }

    public init(directory: String) throws {
        self.directory = directory
        guard let configuration = try Self.text(directory + "/config.yaml") else {
            throw StudyError("\(directory) is neither a sweep (index.json) nor a run directory (config.yaml)")
        }
        self.configuration = configuration
        summary = try? Self.summary(of: directory)
        var evaluations: [Evaluation] = [], training: [(Int, Double)] = [], resets: [Int] = []
        var ease: [EaseOfTeaching] = []
        let text = try Self.text(directory + "/metrics.jsonl") ?? ""
        for line in text.split(separator: "\n") {
            // A run killed mid-write may end in a partial line: it is not a figure.
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let kind = object["kind"] as? String, let step = (object["step"] as? NSNumber)?.intValue
            else { continue }
            switch kind {
            case "eval":
                var figures = Self.numbers(object)
                for name in figures.keys where name.hasSuffix("_min") || name.hasSuffix("_max") { figures[name] = nil }
                figures["step"] = nil
                evaluations.append(Evaluation(step: step, figures: figures))
            case "step":
                if let accuracy = (object["accuracy"] as? NSNumber)?.doubleValue { training.append((step, accuracy)) }
            case "reset":
                resets.append(step)
            case "ease_of_teaching":
                if let curve = object["curve"] as? [NSNumber], let area = (object["area"] as? NSNumber)?.doubleValue {
                    ease.append(EaseOfTeaching(step: step, area: area, curve: curve.map(\.doubleValue)))
                }
            default:
                break
            }
        }
        self.evaluations = evaluations
        trainingAccuracy = training
        self.resets = resets
        easeOfTeaching = ease
    }

    /// The numeric fields of `directory`/summary.json.
    public static func summary(of directory: String) throws -> [String: Double] {
        guard let text = try Self.text(directory + "/summary.json") else {
            throw StudyError("\(directory)/summary.json: not found")
        }
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw StudyError("\(directory)/summary.json is not a JSON object")
        }
        return numbers(object)
    }

    /// Bytes of one file of a run directory: metrics.jsonl of very long runs stays far below.
    public static let largestFileBytes = 1 << 30

    /// The text of `path`; nil when there is nothing there. A FIFO, device or
    /// directory (whose reading would block or mean nothing) and a file past
    /// `largestFileBytes` are a `StudyError` naming the path.
    static func text(_ path: String) throws -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw StudyError("\(path): expected a regular file, found a directory or special file (a FIFO, a device)")
        }
        guard Int(status.st_size) <= largestFileBytes else {
            throw StudyError("\(path): \(status.st_size) bytes; a run's file has at most \(largestFileBytes)")
        }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private static func numbers(_ object: [String: Any]) -> [String: Double] {
        object.compactMapValues { value in
            // JSON's true and false arrive as NSNumbers of type "c" (char); they are not figures.
            guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
            return number.doubleValue
        }
    }

    /// The mean of each figure over the last `count` evaluations.
    public func meanOfLastEvaluations(_ count: Int) -> [String: Double] {
        let last = evaluations.suffix(count)
        var values: [String: [Double]] = [:]
        for evaluation in last {
            for (name, value) in evaluation.figures where value.isFinite { values[name, default: []].append(value) }
        }
        // Each value divided before adding: figures near Double's limits do not overflow the sum.
        return values.mapValues { figures in figures.reduce(0) { $0 + $1 / Double(figures.count) } }
    }
}
