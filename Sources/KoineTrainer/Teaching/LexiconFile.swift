import Foundation
import KoineGame

/// A speaker's language read back from a run's `lexicon.tsv` (`rank speaker
/// object description message`, a header line first), checked against the
/// game and agents it is to be taught with.
public enum LexiconFile {
    /// Larger than any lexicon a run writes for the games Koine plays.
    static let largestBytes = 64 << 20

    /// One line of a lexicon.tsv: whose message it is, for which object, and
    /// its symbols as sent (up to the end symbol).
    public struct Row {
        public let rank: Int
        public let speaker: Int
        public let object: Int
        public let symbols: [Int]
        /// The line's number in the file, for messages.
        public let line: Int
    }

    /// Every line of `path` after its header, its message checked against
    /// the channel `settings` describes; one line naming the file, line and
    /// what was expected when one does not fit.
    public static func rows(in path: String, settings: AgentSettings) throws -> [Row] {
        let text = try TextFile.read(path, largest: largestBytes, what: "lexicon")
        var lines = Self.lines(of: text)
        if lines.last == "" { lines.removeLast() }
        guard let header = lines.first, header.hasPrefix("rank\tspeaker\tobject\t") else {
            throw ConfigurationError("\(path): expected a lexicon.tsv whose first line is `rank\tspeaker\tobject\t…\tmessage`")
        }
        return try lines.enumerated().dropFirst().map { index, line in
            let at = "\(path):\(index + 1)"
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count == 5, let rank = Int(columns[0]), let owner = Int(columns[1]), let object = Int(columns[2]) else {
                throw ConfigurationError("\(at): expected five tab-separated columns, rank, speaker and object numbers first")
            }
            return Row(rank: rank, speaker: owner, object: object, symbols: try message(columns[4], at: at, settings: settings),
                       line: index + 1)
        }
    }

    /// The lexicon of `speaker` (a rank and a speaker index) in `path`; one
    /// line naming the file, line and what was expected when it does not fit.
    public static func read(_ path: String, speaker: (rank: Int, index: Int) = (0, 0), objects: Int,
                            settings: AgentSettings) throws -> Lexicon {
        let mine = try rows(in: path, settings: settings).filter { $0.rank == speaker.rank && $0.speaker == speaker.index }
        return try lexicon(mine, of: speaker, path: path, objects: objects, settings: settings)
    }

    /// Every speaker's lexicon in `path`, in the order the speakers first
    /// appear, the file read once. (Read once per speaker, a lexicon of 2,000
    /// speakers took koine crossplay minutes: 2,000 readings of 32,000 lines.)
    public static func readEvery(_ path: String, objects: Int,
                                 settings: AgentSettings) throws -> [(speaker: (rank: Int, index: Int), lexicon: Lexicon)] {
        var order: [[Int]] = [], groups: [[Int]: [Row]] = [:]
        for row in try rows(in: path, settings: settings) {
            let key = [row.rank, row.speaker]
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(row)
        }
        guard !order.isEmpty else { throw ConfigurationError("\(path): no speaker's messages") }
        return try order.map { key in
            let speaker = (rank: key[0], index: key[1])
            return (speaker, try lexicon(groups[key]!, of: speaker, path: path, objects: objects, settings: settings))
        }
    }

    /// The lexicon `rows` (all of one speaker's) make: a message per object.
    static func lexicon(_ rows: [Row], of speaker: (rank: Int, index: Int), path: String, objects: Int,
                        settings: AgentSettings) throws -> Lexicon {
        let end = settings.variableLength ? Int(settings.endOfMessage) : nil
        var messages = [[Int]?](repeating: nil, count: objects)
        for row in rows {
            let at = "\(path):\(row.line)"
            guard (0..<objects).contains(row.object) else {
                throw ConfigurationError("\(at): object \(row.object): the game has objects 0 to \(objects - 1)")
            }
            guard messages[row.object] == nil else { throw ConfigurationError("\(at): object \(row.object) appears twice") }
            messages[row.object] = row.symbols + [Int](repeating: end ?? 0, count: settings.messageLength - row.symbols.count)
        }
        if let missing = messages.firstIndex(where: { $0 == nil }) {
            let found = messages.filter { $0 != nil }.count
            throw ConfigurationError("\(path): speaker \(speaker.index) of rank \(speaker.rank) has messages for \(found) of the game's \(objects) objects (object \(missing) has none)")
        }
        return Lexicon(messages: messages.map { $0! }, endOfMessage: end)
    }
}

extension LexiconFile {
    /// The file's lines, each without its end: `\n` or `\r\n`. (Swift reads
    /// `\r\n` as one character, so a file saved with Windows line ends split
    /// on "\n" was one line, and read as a lexicon of no messages.)
    static func lines(of text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    }

    /// The symbols of a message column (`5 2 0`, as sent: up to its end
    /// symbol), checked against the channel `settings` describes.
    static func message(_ column: Substring, at place: String, settings: AgentSettings) throws -> [Int] {
        let words = column.split(separator: " ")
        let symbols = words.compactMap { Int($0) }
        guard symbols.count == words.count, symbols.allSatisfy({ (0..<settings.vocabulary).contains($0) }) else {
            throw ConfigurationError("\(place): message `\(column)`: expected symbols 0 to \(settings.vocabulary - 1) (game.vocab) separated by spaces")
        }
        try checkLength(of: symbols, at: place, settings: settings)
        return symbols
    }

    /// A message of variable length holds 1 to `game.message_length` symbols
    /// (the last its end symbol when it stops short); a fixed one exactly that many.
    static func checkLength(of symbols: [Int], at place: String, settings: AgentSettings) throws {
        let length = settings.messageLength
        if settings.variableLength {
            guard (1...length).contains(symbols.count) else {
                throw ConfigurationError("\(place): message of \(symbols.count) symbols: expected 1 to \(length) (game.message_length)")
            }
        } else {
            guard symbols.count == length else {
                throw ConfigurationError("\(place): message of \(symbols.count) symbols: expected \(length) (game.message_length)")
            }
        }
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
