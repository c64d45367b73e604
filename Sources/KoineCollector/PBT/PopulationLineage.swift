import KoineTelemetry

/// The rounds of a population-based training run as a family tree: after
/// each round, whose state every member holds. Built from the members'
/// `pbt` lines however they were kept, and never trusting them: a line that
/// cannot be placed (no step, a rank out of range, an action other than copy
/// or keep) is left out with a note; a copy naming no usable source, and a
/// round a member's line is missing from, are shown as unknown.
public struct PopulationLineage {
    /// Where the lines were read.
    public enum Origin: String {
        case metrics = "metrics.jsonl"
        case database = "the collector's database"
    }

    /// One round: every member's line, in rank order (nil when missing).
    public struct Round {
        public var step: Int
        public var members: [PBTMemberRound?]
    }

    /// An edge of the tree: after round `column` (1 for the first round;
    /// column 0 is the start) member `to` holds what member `from` held
    /// after the round before, because it copied it or because it kept its
    /// own state (`from == to`, `copied` false).
    public struct Edge: Equatable {
        public var column: Int
        public var from: Int
        public var to: Int
        public var copied: Bool

        public init(column: Int, from: Int, to: Int, copied: Bool) {
            self.column = column; self.from = from; self.to = to; self.copied = copied
        }
    }

    public var origin: Origin
    /// Members in the population: the run's world size when known, else one
    /// past the highest rank a line names.
    public var members: Int
    public var rounds: [Round]
    /// The hyperparameters the lines name, in the order they first appear.
    public var hyperparameters: [String]
    /// What was left out or could not be placed, one sentence each.
    public var notes: [String]

    /// More members than any MPI job Koine runs; a rank beyond is damage.
    static let largestPopulation = 4096
    /// Notes shown before the rest are only counted.
    static let notesShown = 20
    /// Rounds × members kept: a damaged file naming a high rank at millions of
    /// steps would otherwise make a table of terabytes.
    static let largestTable = 1 << 22

    /// `lines`: each line's rank and step (nil when the line has none usable) and its body.
    public init(lines: [(member: Int?, step: Int?, body: JSONValue)], worldSize: Int?, origin: Origin) {
        self.origin = origin
        if let worldSize, (1...Self.largestPopulation).contains(worldSize) {
            members = worldSize
        } else {
            members = (lines.compactMap(\.member).filter((0..<Self.largestPopulation).contains).max() ?? -1) + 1
        }
        var notes: [String] = [], noted = 0
        func note(_ text: String) {
            noted += 1
            if notes.count < Self.notesShown { notes.append(text) }
        }
        var byStep: [Int: [Int: PBTMemberRound]] = [:]
        var names: [String] = []
        for line in lines {
            guard case .object = line.body else { note("a line that is no JSON object: left out"); continue }
            guard let step = line.step, step >= 0 else { note("a line without a step: left out"); continue }
            guard let member = line.member, (0..<members).contains(member) else {
                note("step \(step): rank \(line.member.map(String.init) ?? "missing") is out of range (\(members) members): left out")
                continue
            }
            var round: PBTMemberRound
            switch PBTMemberRound.read(line.body, step: step, member: member) {
            case let .failure(refusal):
                note("step \(step), rank \(member): \(refusal.reason): left out")
                continue
            case let .success(read): round = read
            }
            if round.copied {
                if let source = round.source, !(0..<members).contains(source) || source == member {
                    note("step \(step), rank \(member): source \(source) is no other member: shown as unknown")
                    round.source = nil
                } else if round.source == nil {
                    note("step \(step), rank \(member): a copy without a source: shown as unknown")
                }
            }
            // A resumed run may send a round's events again; they say the same.
            if let earlier = byStep[step]?[member], earlier.copied != round.copied || earlier.source != round.source {
                note("step \(step), rank \(member): two lines that disagree: the last kept")
            }
            byStep[step, default: [:]][member] = round
            for name in (round.before + round.after).map(\.name) where !names.contains(name) { names.append(name) }
        }
        let members = self.members, steps = byStep.keys.sorted()
        let kept = steps.prefix(max(1, Self.largestTable / max(members, 1)))
        if kept.count < steps.count {
            note("\(steps.count - kept.count) rounds after step \(kept.last!): left out (more rounds than \(kept.count) of \(members) members)")
        }
        let rounds = kept.map { step in Round(step: step, members: (0..<members).map { byStep[step]?[$0] }) }
        for round in rounds {
            let missing = round.members.indices.filter { round.members[$0] == nil }
            if !missing.isEmpty { note("step \(round.step): no line from rank \(missing.map(String.init).joined(separator: ", ")): shown as unknown") }
        }
        if noted > notes.count { notes.append("… and \(noted - notes.count) more") }
        self.rounds = rounds
        self.notes = notes
        hyperparameters = names
    }

    /// Every copy, by step and then rank.
    public var copies: [PBTMemberRound] {
        rounds.flatMap { $0.members.compactMap { $0 }.filter(\.copied) }
    }

    /// The tree's edges, column by column, in rank order of the member they lead to.
    public var edges: [Edge] {
        rounds.enumerated().flatMap { index, round in
            round.members.enumerated().compactMap { member, line -> Edge? in
                guard let line else { return nil }
                guard line.copied else { return Edge(column: index + 1, from: member, to: member, copied: false) }
                return line.source.map { Edge(column: index + 1, from: $0, to: member, copied: true) }
            }
        }
    }

    /// For each column (the start, then each round) and member, the member
    /// at the start whose state it holds then: its founder; nil when a
    /// missing line or an unknown source breaks the chain.
    public var founders: [[Int?]] {
        var columns: [[Int?]] = [(0..<members).map { $0 }]
        for round in rounds {
            let previous = columns[columns.count - 1]
            columns.append(round.members.enumerated().map { member, line in
                guard let line else { return nil }
                return line.copied ? line.source.flatMap { previous[$0] } : previous[member]
            })
        }
        return columns
    }
}
