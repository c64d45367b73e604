import KoineCluster
import KoineTensor

/// What a round decided for every member: its lineage, as the events record it.
public struct PBTRound {
    public let step: Int
    /// Every member's fitness, in rank order.
    public let fitness: [Double]
    /// Every member's hyperparameters before the round.
    public let before: [[Double]]
    /// Every member's choice (whom it copied, its hyperparameters after the round).
    public let choices: [PBTChoice]
    /// A checksum of every member's state (what a copy sends: parameters,
    /// optimizer state, baselines, births) before and after the round: a copy
    /// makes the copier's equal the source's, bit for bit.
    public let stateBefore: [UInt64]
    public let stateAfter: [UInt64]
}

/// This rank's part in population-based training: its hyperparameters and
/// the rounds. A round is a collective: every rank gathers the whole table of
/// fitness and hyperparameters, decides the same (`PBTPolicy`), the chosen
/// sources send their population's state point to point to the members
/// that copy them, and every member sets its hyperparameters.
final class PBTMember {
    let policy: PBTPolicy
    let communicator: Communicator
    let population: Population
    /// This member's hyperparameters, in the order of `policy.explored`.
    private(set) var hyperparameters: [Double]

    // Tags of a copy's two messages: its length, then its words.
    static let lengthTag = 7_000
    static let stateTag = 7_001

    init(configuration: Configuration, population: Population, communicator: Communicator) {
        policy = PBTPolicy(configuration: configuration)
        self.communicator = communicator
        self.population = population
        hyperparameters = policy.initialHyperparameters(rank: communicator.rank, configured: configuration.pbt.initial == .configured)
        population.apply(hyperparameters, of: policy.explored)
    }

    /// Sets the hyperparameters a checkpoint held.
    func restore(_ values: [Double]) {
        hyperparameters = values
        population.apply(values, of: policy.explored)
    }

    /// The round after step `step`, this member's fitness `fitness`; returns
    /// what it decided for every member.
    func round(step: Int, fitness: Double) throws -> PBTRound {
        let members = communicator.size, me = communicator.rank, width = 1 + hyperparameters.count
        // Each rank fills its own row of zeros; the sum is every row, exactly
        // (a value plus zeros is the value, whatever order MPI adds in).
        var table = [Double](repeating: 0, count: members * width)
        table[me * width] = fitness
        for (index, value) in hyperparameters.enumerated() { table[me * width + 1 + index] = value }
        try communicator.allreduceSum(&table, count: table.count)
        let fitnesses = (0..<members).map { table[$0 * width] }
        let before = (0..<members).map { Array(table[($0 * width + 1)..<(($0 + 1) * width)]) }
        let choices = policy.decide(fitness: fitnesses, hyperparameters: before, step: step)
        let stateBefore = try stateChecksum()
        try copy(choices)
        hyperparameters = choices[me].hyperparameters
        population.apply(hyperparameters, of: policy.explored)
        let states = try communicator.gatherStrings("\(stateBefore) \(try stateChecksum())").map { $0.split(separator: " ") }
        return PBTRound(step: step, fitness: fitnesses, before: before, choices: choices,
                        stateBefore: states.map { UInt64($0[0]) ?? 0 }, stateAfter: states.map { UInt64($0[1]) ?? 0 })
    }

    /// A checksum of what a copy of this member sends, computed as it streams by.
    private func stateChecksum() throws -> UInt64 {
        var payload = CheckpointPayload(sink: { _ in })
        population.saveMember(into: &payload)
        return try payload.finish().checksum
    }

    /// Sends this member's state to every member copying it, then receives
    /// the state of the member it copies. Sends come first: a member that is
    /// both copied and copying sends its state from before the round, and
    /// since a member copies only a fitter one (or, in truncation, the top
    /// never copies), the copies form chains that end at members that only
    /// receive, so every blocking send is eventually met.
    private func copy(_ choices: [PBTChoice]) throws {
        let me = communicator.rank
        var words: [Int32] = []
        var length: [Int32] = [0, 0]
        for member in choices.indices where choices[member].source == me {
            if words.isEmpty {
                var payload = CheckpointPayload()
                population.saveMember(into: &payload)
                words = PBTMember.words(payload.bytes)
                let count = payload.bytes.count
                length = [Int32(truncatingIfNeeded: count), Int32(truncatingIfNeeded: count >> 32)]
            }
            try communicator.send(length, count: 2, to: member, tag: PBTMember.lengthTag)
            try communicator.send(words, count: words.count, to: member, tag: PBTMember.stateTag)
        }
        guard let source = choices[me].source else { return }
        try communicator.receive(&length, count: 2, from: source, tag: PBTMember.lengthTag)
        let count = Int(UInt32(bitPattern: length[0])) | Int(length[1]) << 32
        var received = [Int32](repeating: 0, count: (count + 3) / 4)
        try communicator.receive(&received, count: received.count, from: source, tag: PBTMember.stateTag)
        let bytes = received.withUnsafeBytes { Array($0.prefix(count)) }
        var reader = CheckpointReader(bytes[...], file: "the state of rank \(source)")
        try population.restoreMember(from: &reader)
        guard reader.isAtEnd else { throw reader.fault("unexpected bytes after the population's state") }
    }

    /// Bytes as whole 32-bit words (the last padded with zeros), which the communicator sends.
    static func words(_ bytes: [UInt8]) -> [Int32] {
        var words = [Int32](repeating: 0, count: (bytes.count + 3) / 4)
        words.withUnsafeMutableBytes { $0.copyBytes(from: bytes) }
        return words
    }
}
