import KoineTelemetry

extension PBTReport {
    /// The lineage in lines for people, under a run's table: a line per copy
    /// (`step 4000: rank 3 ← rank 0 (fitness 0.61 → 0.83), learning_rate
    /// 0.001 → 0.0012`: the copier's fitness, then its source's; each
    /// hyperparameter as the source had it, then as the copier explored it),
    /// a line per round for the members that kept their state and how far
    /// the lexicons agreed, then whose state every member holds at the end.
    public func text() -> String {
        let rounds = lineage.rounds
        var out = "  population-based training: \(lineage.members) members, \(rounds.count) round(s), lineage from \(lineage.origin.rawValue)\n"
        let summaries = Dictionary(agreementSummaries.map { ($0.step, $0) }, uniquingKeysWith: { first, _ in first })
        for round in rounds {
            for line in round.members.compactMap({ $0 }) where line.copied {
                out += "    step \(round.step): " + Self.copy(line, round: round) + "\n"
            }
            let kept = round.members.compactMap { $0 }.filter { !$0.copied }.map(\.member)
            var closing = "    step \(round.step): " + (kept.isEmpty ? "no member kept its state" : "kept " + Self.ranks(kept))
            if let summary = summaries[round.step] {
                closing += "; lexicons agree \(FigureText.of(summary.everyPair)) over every pair"
                if summary.copierAndSource.isFinite { closing += ", \(FigureText.of(summary.copierAndSource)) between copier and source" }
            }
            out += closing + "\n"
        }
        if let last = rounds.last, let founders = lineage.founders.last {
            out += "    after step \(last.step): " + Self.descent(founders) + "\n"
        }
        for note in lineage.notes + fileNotes { out += "    note: \(TerminalText.safe(note))\n" }
        return out
    }

    /// `rank 3 ← rank 0 (fitness 0.61 → 0.83), learning_rate 0.001 → 0.0012, ...`
    static func copy(_ line: PBTMemberRound, round: PopulationLineage.Round) -> String {
        let text = "rank \(line.member) ← " + (line.source.map { "rank \($0)" } ?? "an unknown member")
            + " (fitness \(FigureText.of(line.fitness)) → \(line.sourceFitness.map(FigureText.of) ?? "?"))"
        let changes = hyperparameterChanges(line, round: round)
        return changes.isEmpty ? text : text + ", " + TerminalText.safe(changes)
    }

    /// `learning_rate 0.001 → 0.0012, entropy 0.05 → 0.04`: each hyperparameter
    /// as the source had it before the round (what was copied; `?` when its
    /// line is missing), then as the copier explored it.
    public static func hyperparameterChanges(_ line: PBTMemberRound, round: PopulationLineage.Round) -> String {
        let source = line.source.flatMap { round.members[$0] }
        return line.after.map { name, value in
            "\(name) \(source?.before(name).map(FigureText.of) ?? "?") → \(FigureText.of(value))"
        }.joined(separator: ", ")
    }

    /// `ranks 0, 1, 3 from rank 0; rank 2 from rank 2; rank 4 unknown`
    static func descent(_ founders: [Int?]) -> String {
        var byFounder: [Int: [Int]] = [:]
        for (member, founder) in founders.enumerated() { if let founder { byFounder[founder, default: []].append(member) } }
        var parts = byFounder.keys.sorted().map { Self.ranks(byFounder[$0]!) + " from rank \($0)" }
        let unknown = founders.indices.filter { founders[$0] == nil }
        if !unknown.isEmpty { parts.append(Self.ranks(unknown) + " of unknown descent") }
        return parts.joined(separator: "; ")
    }

    static func ranks(_ members: [Int]) -> String {
        (members.count == 1 ? "rank " : "ranks ") + members.map(String.init).joined(separator: ", ")
    }

    /// The same for scripts: every round's lines as the members wrote them,
    /// the copies (`lineage`), each column's founders (`founders[0]` the
    /// start, then after each round; null when unknown), the lexicon
    /// agreement per round, and the notes.
    public func json() -> JSONValue {
        func named(_ values: [(name: String, value: Double)]) -> JSONValue { .object(values.map { ($0.name, .double($0.value)) }) }
        func member(_ line: PBTMemberRound) -> JSONValue {
            .object([
                ("rank", .int(line.member)), ("fitness", .double(line.fitness)), ("action", .string(line.copied ? "copy" : "keep")),
                ("source", line.source.map(JSONValue.int) ?? .null), ("source_fitness", line.sourceFitness.map(JSONValue.double) ?? .null),
                ("before", named(line.before)), ("after", named(line.after)),
                ("state_before", line.stateBefore.map(JSONValue.string) ?? .null), ("state_after", line.stateAfter.map(JSONValue.string) ?? .null),
            ])
        }
        let summaries = agreementSummaries
        return .object([
            ("lineage_from", .string(lineage.origin.rawValue)),
            ("members", .int(lineage.members)),
            ("hyperparameters", .array(lineage.hyperparameters.map(JSONValue.string))),
            ("rounds", .array(lineage.rounds.map { round in
                .object([("step", .int(round.step)), ("members", .array(round.members.map { $0.map(member) ?? .null }))])
            })),
            ("lineage", .array(lineage.copies.map { line in
                .object([
                    ("step", .int(line.step)), ("rank", .int(line.member)), ("source", line.source.map(JSONValue.int) ?? .null),
                    ("fitness", .double(line.fitness)), ("source_fitness", line.sourceFitness.map(JSONValue.double) ?? .null),
                ])
            })),
            ("founders", .array(lineage.founders.map { .array($0.map { $0.map(JSONValue.int) ?? .null }) })),
            ("lexicon_agreement", .array(zip(agreement, summaries).map { round, summary in
                .object([
                    ("step", .int(round.step)), ("every_pair", .double(summary.everyPair)),
                    ("copier_and_source", .double(summary.copierAndSource)), ("copied_a_round_before", .double(summary.copiedARoundBefore)),
                    ("matrix", .array(round.matrix.map { .array($0.map(JSONValue.double)) })),
                ])
            })),
            ("notes", .array((lineage.notes + fileNotes).map(JSONValue.string))),
        ])
    }
}
