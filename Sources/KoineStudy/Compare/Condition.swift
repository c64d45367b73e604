import Foundation

/// Runs that differ only in their seed, under one name.
public struct Condition {
    public let name: String
    /// Every run found, finished or not.
    public let runs: [RunRecord]

    /// The runs with a summary.json: the only ones final figures come from.
    public var finished: [RunRecord] { runs.filter { $0.summary != nil } }
}

/// Gathers the conditions of `koine compare`'s arguments: a sweep directory
/// brings its index's conditions; a bare run directory joins the runs whose
/// config.yaml is the same but for the seed, named after its config file (the
/// run directory's name without `koine train`'s time stamp) and, when two
/// conditions would share a name, the keys whose values tell them apart.
public enum ConditionGathering {
    public static func gather(_ paths: [String]) throws -> [Condition] {
        var groups: [(key: String, source: String, name: String?, runs: [RunRecord])] = []
        func add(_ record: RunRecord, key: String, source: String = "", name: String? = nil) {
            if let position = groups.firstIndex(where: { $0.key == key }) {
                groups[position].runs.append(record)
            } else {
                groups.append((key, source, name, [record]))
            }
        }
        for path in paths {
            let path = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
            if let index = try SweepIndex.load(from: path) {
                for run in index.runs where FileManager.default.fileExists(atPath: path + "/" + run.directory + "/config.yaml") {
                    add(try RunRecord(directory: path + "/" + run.directory), key: "sweep \(path) \(run.condition)",
                        source: path, name: run.condition)
                }
                continue
            }
            let record = try RunRecord(directory: path)
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
            let folder = URL(fileURLWithPath: path).lastPathComponent
            if let index = try? SweepIndex.load(from: parent), let run = index.runs.first(where: { $0.directory == folder }) {
                add(record, key: "sweep \(parent) \(run.condition)", source: parent, name: run.condition)
            } else {
                add(record, key: "config " + withoutSeed(record.configuration))
            }
        }
        var names = groups.map { $0.name ?? sharedName($0.runs.map { URL(fileURLWithPath: $0.directory).lastPathComponent }) }
        let given = names
        for (position, group) in groups.enumerated() where given.filter({ $0 == given[position] }).count > 1 {
            names[position] = group.source.isEmpty
                ? distinguished(given[position], configuration: group.runs[0].configuration,
                                among: groups.map { $0.runs[0].configuration })
                : URL(fileURLWithPath: group.source).lastPathComponent + "/" + given[position]
        }
        return zip(names, groups).map { Condition(name: $0, runs: $1.runs) }
    }

    /// What the names of a condition's run directories share, without
    /// `koine train`'s time stamps and trailing separators or seed numbers.
    static func sharedName(_ folders: [String]) -> String {
        let names = folders.map(configName)
        var shared = names[0]
        for name in names.dropFirst() {
            shared = String(zip(shared, name).prefix { $0 == $1 }.map(\.0))
        }
        if Set(names).count > 1 { shared = String(shared.reversed().drop { "-_.,=0123456789".contains($0) }.reversed()) }
        return shared.isEmpty ? names[0] : shared
    }

    /// config.yaml without its top-level seed line.
    static func withoutSeed(_ configuration: String) -> String {
        configuration.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("seed:") }.joined(separator: "\n")
    }

    /// `reset-20261129-153000` → `reset`, as `koine train` names runs by default.
    static func configName(_ folder: String) -> String {
        guard let range = folder.range(of: #"-[0-9]{8}-[0-9]{6}$"#, options: .regularExpression) else { return folder }
        return String(folder[..<range.lowerBound])
    }

    /// `name` followed by the keys (other than the seed) whose values differ
    /// between `configuration` and some other of `configurations`.
    static func distinguished(_ name: String, configuration: String, among configurations: [String]) -> String {
        let own = ConfigurationLines.flatten(configuration)
        let others = configurations.map(ConfigurationLines.flatten)
        let differing = own.filter { entry in entry.key != "seed" && others.contains { $0[entry.key] != entry.value } }
        return ([name] + differing.keys.sorted().map { "\($0)=\(own[$0]!)" }).joined(separator: ",")
    }
}

/// config.yaml as Koine writes it (nested mappings, two spaces per level, one
/// value per line) flattened to dotted keys: `agents:\n  cell: gru` → agents.cell = gru.
enum ConfigurationLines {
    static func flatten(_ text: String) -> [String: String] {
        var path: [(indent: Int, key: String)] = [], out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let colon = trimmed.firstIndex(of: ":") else { continue }
            let indent = line.count - trimmed.count
            while let last = path.last, last.indent >= indent { path.removeLast() }
            let key = String(trimmed[..<colon])
            var value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if let comment = value.range(of: " #") { value = String(value[..<comment.lowerBound]) }
            if value.isEmpty {
                path.append((indent, key))
            } else {
                out[(path.map(\.key) + [key]).joined(separator: ".")] = value
            }
        }
        return out
    }
}
