import Foundation
import KoineGame

/// A speaker's language read back from a run's `lexicon.tsv` (`rank speaker
/// object description message`, a header line first), checked against the
/// game and agents it is to be taught with.
public enum LexiconFile {
    /// Larger than any lexicon a run writes for the games Koine plays.
    static let largestBytes = 64 << 20

    /// The lexicon of `speaker` (a rank and a speaker index) in `path`; one
    /// line naming the file, line and what was expected when it does not fit.
    public static func read(_ path: String, speaker: (rank: Int, index: Int) = (0, 0), objects: Int,
                            settings: AgentSettings) throws -> Lexicon {
        let text = try TextFile.read(path, largest: largestBytes, what: "lexicon")
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard let header = lines.first, header.hasPrefix("rank\tspeaker\tobject\t") else {
            throw ConfigurationError("\(path): expected a lexicon.tsv whose first line is `rank\tspeaker\tobject\t…\tmessage`")
        }
        let end = settings.variableLength ? Int(settings.endOfMessage) : nil
        var messages = [[Int]?](repeating: nil, count: objects)
        for (index, line) in lines.enumerated().dropFirst() {
            let at = "\(path):\(index + 1)"
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count == 5, let rank = Int(columns[0]), let owner = Int(columns[1]), let object = Int(columns[2]) else {
                throw ConfigurationError("\(at): expected five tab-separated columns, rank, speaker and object numbers first")
            }
            guard rank == speaker.rank && owner == speaker.index else { continue }
            guard (0..<objects).contains(object) else {
                throw ConfigurationError("\(at): object \(object): the game has objects 0 to \(objects - 1)")
            }
            guard messages[object] == nil else { throw ConfigurationError("\(at): object \(object) appears twice") }
            let words = columns[4].split(separator: " ")
            let symbols = words.compactMap { Int($0) }
            guard symbols.count == words.count, symbols.allSatisfy({ (0..<settings.vocabulary).contains($0) }) else {
                throw ConfigurationError("\(at): message `\(columns[4])`: expected symbols 0 to \(settings.vocabulary - 1) (game.vocab) separated by spaces")
            }
            if let end {
                guard (1...settings.messageLength).contains(symbols.count) else {
                    throw ConfigurationError("\(at): message of \(symbols.count) symbols: expected 1 to \(settings.messageLength) (game.message_length)")
                }
                messages[object] = symbols + [Int](repeating: end, count: settings.messageLength - symbols.count)
            } else {
                guard symbols.count == settings.messageLength else {
                    throw ConfigurationError("\(at): message of \(symbols.count) symbols: expected \(settings.messageLength) (game.message_length)")
                }
                messages[object] = symbols
            }
        }
        if let missing = messages.firstIndex(where: { $0 == nil }) {
            let found = messages.filter { $0 != nil }.count
            throw ConfigurationError("\(path): speaker \(speaker.index) of rank \(speaker.rank) has messages for \(found) of the game's \(objects) objects (object \(missing) has none)")
        }
        return Lexicon(messages: messages.map { $0! }, endOfMessage: end)
    }
}

extension LexiconFile {
    /// Every (rank, speaker) with lines in `path`, in the order they first appear.
    public static func speakers(in path: String) throws -> [(rank: Int, index: Int)] {
        let text = try TextFile.read(path, largest: largestBytes, what: "lexicon")
        var found: [(Int, Int)] = []
        var seen = Set<[Int]>()
        for line in text.split(separator: "\n").dropFirst() {
            let columns = line.split(separator: "\t", maxSplits: 2)
            guard columns.count >= 2, let rank = Int(columns[0]), let index = Int(columns[1]) else { continue }
            if seen.insert([rank, index]).inserted { found.append((rank, index)) }
        }
        guard !found.isEmpty else { throw ConfigurationError("\(path): no speaker's messages") }
        return found
    }
}

/// A text file read whole after checking it is a regular file of at most `largest` bytes.
enum TextFile {
    static func read(_ path: String, largest: Int, what: String) throws -> String {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw ConfigurationError("\(path): cannot read the \(what) (\(String(cString: strerror(errno))))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw ConfigurationError("\(path): expected a \(what) file, not a directory or special file") }
        guard Int(status.st_size) <= largest else {
            throw ConfigurationError("\(path): \(status.st_size) bytes; a \(what) file has at most \(largest)")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("\(path): expected a UTF-8 text \(what) file")
        }
        return text
    }
}
