import KoineTensor

/// Referential games' listeners: pick the target among `candidates` objects
/// (the default of `ReferentialGame.listenerHead`).
public struct CandidateChoice: ListenerHeadFactory {
    public let candidates: Int

    public init(candidates: Int) { self.candidates = candidates }

    public func parameterCount(_ settings: AgentSettings) -> Int {
        Linear.parameterCount(input: settings.hidden, output: settings.hidden)
    }

    public func makeHead(settings: AgentSettings, encoder: ObjectEncoder, capacity: Int, parameters: Parameters, arena: Arena,
                         shortcuts: AgentShortcuts) -> ListenerHead {
        CandidateHead(settings: settings, encoder: encoder, capacity: capacity, candidates: candidates, parameters: parameters,
                      arena: arena, shortcuts: shortcuts)
    }
}

/// A linear layer turns the listener's state into a query, each candidate is
/// scored by the dot product of the query with the candidate's encoding, and
/// the choice is drawn from softmax(scores) (REINFORCE training) or is the
/// best score. Its reward is 1 when the choice is the target, else 0.
final class CandidateHead: ListenerHead {
    let candidates: Int
    /// How the query meets the candidates: with the shortcut `foldsQuery`
    /// folded into the object table when it has fewer rows than the pass has
    /// queries (FoldedScoring), with `factorsEncoder` too folded further into
    /// the encoder's own structure when it has one
    /// (`ObjectEncoder.factoredScoring`); else plain (PlainScoring).
    let scoring: QueryScoring
    let scores: Matrix
    let logProbabilities: Matrix
    let scoreGradient: Matrix
    /// The candidate each game's listener picked, its reward, log-probability and entropy.
    let outcomes: HeadOutcomes
    let logProbabilityGradient: UnsafeMutablePointer<Float>
    let entropyGradient: UnsafeMutablePointer<Float>
    /// Games of the last forward.
    private var rows = 0

    var decidesBySampling: Bool { true }
    var outputs: Matrix { scores }
    var queryPass: QueryScoringPass? { scoring.lastPass }

    init(settings: AgentSettings, encoder: ObjectEncoder, capacity: Int, candidates: Int, parameters: Parameters, arena: Arena,
         shortcuts: AgentShortcuts) {
        self.candidates = candidates
        let query = Linear(input: settings.hidden, output: settings.hidden, parameters: parameters)
        let plain = PlainScoring(query: query, encoder: encoder, rows: capacity, arena: arena)
        let factored = shortcuts.foldsQuery && shortcuts.factorsEncoder
            ? encoder.factoredScoring(query: query, plain: plain, rows: capacity, arena: arena) : nil
        scoring = factored ?? (shortcuts.foldsQuery ? FoldedScoring(query: query, encoder: encoder, plain: plain, arena: arena) : plain)
        scores = arena.matrix(rows: capacity, columns: candidates)
        logProbabilities = arena.matrix(rows: capacity, columns: candidates)
        scoreGradient = arena.matrix(rows: capacity, columns: candidates)
        outcomes = HeadOutcomes(capacity: capacity, width: 1, arena: arena)
        logProbabilityGradient = arena.floats(capacity)
        entropyGradient = arena.floats(capacity)
    }

    func forward(_ states: Matrix, rows stateRows: Indices?, batch: GameBatch, sampled: Bool, random: inout Random) {
        rows = batch.size
        let (choices, rewards) = (outcomes.decisions, outcomes.rewards)
        let s = scores.rows(0..<rows)
        scoring.forward(states, rows: stateRows, candidates: batch.candidates, scores: s)
        Categorical.sample(
            logits: s, logProbabilities: logProbabilities.rows(0..<rows), actions: choices.prefix(rows),
            chosenLogProbabilities: outcomes.chosenLogProbabilities, entropies: outcomes.entropies, random: &random, greedy: !sampled)
        for b in 0..<rows { rewards[b] = choices.base[b] == batch.targetPositions.base[b] ? 1 : 0 }
    }

    func reinforceGradient(advantages: UnsafePointer<Float>, entropyWeight beta: Float, scale: Float) -> Float {
        let (chosenLogProbabilities, entropies) = (outcomes.chosenLogProbabilities, outcomes.entropies)
        var total: Float = 0
        for b in 0..<rows {
            logProbabilityGradient[b] = -advantages[b] * scale
            entropyGradient[b] = -beta * scale
            total -= advantages[b] * chosenLogProbabilities[b] + beta * entropies[b]
        }
        Categorical.backward(
            logProbabilities: logProbabilities.rows(0..<rows), actions: outcomes.decisions.prefix(rows), entropies: entropies,
            logProbabilityGradient: logProbabilityGradient, entropyGradient: entropyGradient,
            logitGradient: scoreGradient.rows(0..<rows))
        return total / Float(max(rows, 1))
    }

    /// Cross-entropy of the target's position, or Havrylov & Titov's hinge
    /// loss, Σ over distractors k of max(0, 1 − s_target + s_k).
    func lossGradient(_ loss: ListenerLossKind, batch: GameBatch, scale: Float) -> Float {
        let s = scores.rows(0..<rows), ds = scoreGradient.rows(0..<rows)
        switch loss {
        case .crossEntropy:
            let p = logProbabilities.rows(0..<rows)
            let mean = CrossEntropy.forward(logits: s, targets: batch.targetPositions, probabilities: p)
            CrossEntropy.backward(probabilities: p, targets: batch.targetPositions, logitGradient: ds, scale: scale)
            return mean
        case .hinge:
            let mean = HingeLoss.forward(scores: s, targets: batch.targetPositions)
            HingeLoss.backward(scores: s, targets: batch.targetPositions, scoreGradient: ds, scale: scale)
            return mean
        }
    }

    func backward(_ states: Matrix, rows stateRows: Indices?, batch: GameBatch, stateGradient: Matrix) {
        scoring.backward(states, rows: stateRows, candidates: batch.candidates, scoreGradient: scoreGradient.rows(0..<rows),
                         stateGradient: stateGradient)
    }

    func accuracy() -> Float { meanOverGames(outcomes.rewards, rows) }
}
