import Foundation
import KoineGame

/// Where a run's utterances are read from: the games it dumped at an
/// evaluation (`eval.interactions`), or its lexicon, each speaker's greedy
/// message for every object its last evaluation played.
public enum UtteranceSource: String, CaseIterable {
    case interactions, lexicon
}

/// What a finished run's speakers said: one utterance per game from an
/// interaction dump, or one per lexicon line. Every message is checked
/// against the run's channel (symbols of its vocabulary, as many as it
/// sends), so a corpus never holds what the run could not have said.
public struct RunUtterances {
    public struct Utterance {
        public let rank: Int
        public let speaker: Int
        /// As sent: up to and with the end symbol when a message of variable length stops short.
        public let symbols: [Int]
        /// The game's reward, when the utterance is a dumped game's (a lexicon line is no game).
        public var reward: Double? = nil
    }

    public let source: UtteranceSource
    /// The file they were read from, relative to the run directory.
    public let file: String
    /// The evaluation whose games they are (the interaction dumps only).
    public let step: Int?
    public let utterances: [Utterance]

    /// The utterances of `run`, from `source` (the interaction dumps when the
    /// run has any, else the lexicon), of the evaluation at `step` (the last
    /// by default), of rank `rank` and speaker `speaker` only when given.
    public init(run: FinishedRun, source wanted: UtteranceSource? = nil, step: Int? = nil, rank: Int? = nil, speaker: Int? = nil) throws {
        let configuration = run.configuration
        if let rank, !(0..<run.worldSize).contains(rank) {
            throw ConfigurationError("--rank \(rank): the run has ranks 0 to \(run.worldSize - 1)")
        }
        let speakers = configuration.population.speakers
        if let speaker, !(0..<speakers).contains(speaker) {
            throw ConfigurationError("--speaker \(speaker): each rank of the run has speakers 0 to \(speakers - 1)")
        }
        let dumped = Self.dumpedSteps(of: run)
        source = wanted ?? (dumped.isEmpty ? .lexicon : .interactions)
        var read: [Utterance]
        switch source {
        case .interactions:
            guard configuration.eval.interactions > 0 else {
                throw ConfigurationError("\(run.path("config.yaml")): eval.interactions is 0: the run dumped no games (--from lexicon exports its lexicon)")
            }
            guard let last = dumped.last else {
                throw ConfigurationError("\(run.path(Self.folder)): no step-N.jsonl.gz dumps, though eval.interactions is \(configuration.eval.interactions)")
            }
            let chosen = step ?? last
            guard dumped.contains(chosen) else {
                throw ConfigurationError("--step \(chosen): the run dumped the games of steps \(dumped.map(String.init).joined(separator: ", "))")
            }
            self.step = chosen
            file = Self.dumpFile(step: chosen)
            read = try Self.games(in: run, file: file)
        case .lexicon:
            if let step {
                throw ConfigurationError("--step \(step): a lexicon holds the last evaluation's messages; --step picks an interaction dump")
            }
            self.step = nil
            file = "lexicon.tsv"
            read = try Self.lexicon(of: run)
        }
        read.removeAll { (rank != nil && $0.rank != rank) || (speaker != nil && $0.speaker != speaker) }
        guard !read.isEmpty else {
            let whose = [speaker.map { "speaker \($0)" }, rank.map { "rank \($0)" }].compactMap { $0 }.joined(separator: " of ")
            throw ConfigurationError("\(run.path(file)): no messages of \(whose.isEmpty ? "any speaker" : whose)")
        }
        utterances = read
    }

    static let folder = "interactions"

    static func dumpFile(step: Int) -> String { folder + "/step-" + String(format: "%07d", step) + ".jsonl.gz" }

    /// The steps whose games the run dumped, in order.
    public static func dumpedSteps(of run: FinishedRun) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: run.path(folder))) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("step-"), name.hasSuffix(".jsonl.gz"),
                  let step = Int(name.dropFirst("step-".count).dropLast(".jsonl.gz".count)), step >= 0,
                  folder + "/" + name == dumpFile(step: step) else { return nil }
            return step
        }.sorted()
    }

    /// A message is a few symbols; a dumped game far longer than this is not one of Koine's.
    static let longestGame = 1 << 16

    /// The games of one dump: rank, speaker and message of each line, at most
    /// `eval.interactions` games a rank.
    static func games(in run: FinishedRun, file: String) throws -> [Utterance] {
        let path = run.path(file), configuration = run.configuration, settings = configuration.agentSettings
        let most = configuration.eval.interactions
        var games: [Utterance] = []
        // Counted rank by rank, as a rank dumps them: counted over the whole file (most
        // times world_size), a small gzip file of one rank's lines inflating to
        // gigabytes was read on for minutes.
        var perRank: [Int: Int] = [:]
        try CompressedFile.forEachLine(of: path, longestLine: longestGame) { line, number in
            let at = "\(path):\(number)"
            guard let game = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let rank = integer(game["rank"]), let speaker = integer(game["speaker"]),
                  let symbols = game["message"] as? [Any], case let message = symbols.compactMap(integer),
                  message.count == symbols.count
            else {
                throw ConfigurationError("\(at): expected a JSON object with a rank, a speaker and a message of integer symbols")
            }
            try check(rank: rank, speaker: speaker, at: at, run: run)
            perRank[rank, default: 0] += 1
            guard perRank[rank]! <= most else {
                throw ConfigurationError("\(at): more than \(most) games of rank \(rank); expected at most eval.interactions (\(most)) a rank")
            }
            guard message.allSatisfy({ (0..<settings.vocabulary).contains($0) }) else {
                throw ConfigurationError("\(at): message \(message): expected symbols 0 to \(settings.vocabulary - 1) (game.vocab)")
            }
            try LexiconFile.checkLength(of: message, at: at, settings: settings)
            games.append(Utterance(rank: rank, speaker: speaker, symbols: message, reward: Self.number(game["reward"])))
        }
        return games
    }

    /// A JSON number as Foundation parsed it; `true` and `false` are not
    /// numbers (Foundation reads them as 1 and 0).
    static func jsonNumber(_ value: Any?) -> NSNumber? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        return number
    }

    /// A finite JSON number, whole or not.
    static func number(_ value: Any?) -> Double? {
        jsonNumber(value).map(\.doubleValue).flatMap { $0.isFinite ? $0 : nil }
    }

    /// A JSON whole number.
    static func integer(_ value: Any?) -> Int? {
        guard jsonNumber(value) != nil else { return nil }
        return value as? Int
    }

    /// Every line of the run's lexicon.tsv, in file order.
    static func lexicon(of run: FinishedRun) throws -> [Utterance] {
        let path = run.path("lexicon.tsv")
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigurationError("\(path): not found; a finished run writes its lexicon there")
        }
        return try LexiconFile.rows(in: path, settings: run.configuration.agentSettings).map { row in
            try check(rank: row.rank, speaker: row.speaker, at: "\(path):\(row.line)", run: run)
            return Utterance(rank: row.rank, speaker: row.speaker, symbols: row.symbols)
        }
    }

    private static func check(rank: Int, speaker: Int, at place: String, run: FinishedRun) throws {
        guard (0..<run.worldSize).contains(rank) else {
            throw ConfigurationError("\(place): rank \(rank): the run has ranks 0 to \(run.worldSize - 1)")
        }
        let speakers = run.configuration.population.speakers
        guard (0..<speakers).contains(speaker) else {
            throw ConfigurationError("\(place): speaker \(speaker): each rank of the run has speakers 0 to \(speakers - 1)")
        }
    }
}
