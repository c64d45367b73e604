import Foundation

/// How far the members' languages agree at one round: for every two
/// members, the share of the (speaker, object) pairs both have a message for
/// on which their messages are the same. Read from the run's
/// `pbt/step-NNNNNNN.tsv`, every member's lexicon as the round judged it
/// (before any copy; lexicon.tsv's columns: rank, speaker, object,
/// description, message). Speakers are matched by index: a copy carries a
/// member's speakers in their order, so right after it copier and source
/// agree everywhere.
public struct LexiconAgreement {
    public var step: Int
    /// matrix[a][b]: the agreement of members a and b (1 on the diagonal
    /// when a member has a lexicon); NaN when the two share no object.
    public var matrix: [[Double]]

    /// Folder of the round lexicons in a run directory, and their names.
    static let folder = "pbt"
    static let filePattern = try! NSRegularExpression(pattern: "^step-([0-9]{1,18})\\.tsv$")
    /// Larger than any round's lexicons a run writes (lexicon.tsv's bound for teaching).
    static let largestBytes = 64 << 20

    /// The agreement of `members` members from one round's lexicons; lines
    /// that are not a member's (a header, a rank out of range, a line cut
    /// short) are not counted, and `skipped` says how many there were.
    public init(tsv text: String, step: Int, members: Int, skipped: inout Int) {
        self.step = step
        var messages = [[Key: Substring]](repeating: [:], count: members)
        for line in text.split(separator: "\n").dropFirst() {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count >= 4, let rank = Int(columns[0]), (0..<members).contains(rank),
                  let speaker = Int(columns[1]), let object = Int(columns[2]), let message = columns.last else {
                skipped += 1
                continue
            }
            messages[rank][Key(speaker: speaker, object: object)] = message
        }
        matrix = messages.map { mine in messages.map { Self.agreement(mine, $0) } }
    }

    struct Key: Hashable {
        let speaker: Int
        let object: Int
    }

    /// The share of the pairs both lexicons have on which they say the same.
    static func agreement(_ first: [Key: Substring], _ second: [Key: Substring]) -> Double {
        var shared = 0, same = 0
        for (key, message) in first {
            guard let other = second[key] else { continue }
            shared += 1
            if other == message { same += 1 }
        }
        return shared == 0 ? .nan : Double(same) / Double(shared)
    }

    /// The mean agreement over every two different members (NaN when no two compare).
    public var meanOverPairs: Double {
        let values = matrix.indices.flatMap { a in (a + 1..<matrix.count).map { matrix[a][$0] } }.filter(\.isFinite)
        return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }

    /// Every round's agreement kept in `directory`'s `pbt/` folder, by step,
    /// and a note per file that could not be read or had lines left out.
    public static func load(directory: String, members: Int) -> (rounds: [LexiconAgreement], notes: [String]) {
        let path = directory + "/" + folder
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        var found: [(step: Int, name: String)] = []
        for name in names {
            let range = NSRange(name.startIndex..., in: name)
            guard let match = filePattern.firstMatch(in: name, range: range), let digits = Range(match.range(at: 1), in: name),
                  let step = Int(name[digits]) else { continue }
            found.append((step, name))
        }
        var rounds: [LexiconAgreement] = [], notes: [String] = []
        for (step, name) in found.sorted(by: { ($0.step, $0.name) < ($1.step, $1.name) }) {
            let file = path + "/" + name
            // A FIFO or a device would block the report, an enormous file exhaust it.
            guard RunFolders.isRegularFile(file), let size = RunFolders.size(of: file), size <= largestBytes,
                  let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                notes.append("\(folder)/\(name): not a readable lexicon file of at most \(largestBytes >> 20) MiB: left out")
                continue
            }
            var skipped = 0
            rounds.append(LexiconAgreement(tsv: text, step: step, members: members, skipped: &skipped))
            if skipped > 0 { notes.append("\(folder)/\(name): \(skipped) line(s) that are no member's lexicon: not counted") }
        }
        return (rounds, notes)
    }
}
