import KoineTensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reconstruction game's listeners: name the target's value of every
/// attribute of `space`.
struct AttributeReconstruction: ListenerHeadFactory {
    let space: ObjectSpace

    func parameterCount(_ settings: AgentSettings) -> Int {
        Linear.parameterCount(input: settings.hidden, output: space.width)
    }

    func makeHead(settings: AgentSettings, encoder: ObjectEncoder, capacity: Int, parameters: Parameters, arena: Arena,
                  shortcuts: AgentShortcuts) -> ListenerHead {
        ReconstructionHead(space: space, hidden: settings.hidden, capacity: capacity, parameters: parameters, arena: arena)
    }
}

/// EGG's reconstruction receiver: a linear layer turns the listener's state
/// into a logit for every value of every attribute (`space.width` of them,
/// attribute by attribute as the one-hot encoding), and a softmax over each
/// attribute's values gives its prediction. The decision is each
/// attribute's most likely value; the loss, the cross-entropy of the
/// target's values averaged over the attributes; a game's reward, minus that
/// loss. It never samples: under REINFORCE it learns by its loss and only
/// the speaker by its reward, as EGG's deterministic receiver and its
/// `SenderReceiverRnnReinforce` do. It does not read the object encoder.
final class ReconstructionHead: ListenerHead {
    let space: ObjectSpace
    let output: Linear
    /// Where each attribute's values start in a row of logits.
    let offsets: [Int]
    /// Logits of each state row (games that heard one message share one),
    /// and their gradient.
    let stateLogits: Matrix
    let stateLogitGradient: Matrix
    /// Each game's logits, log-probabilities and logit gradient.
    let logits: Matrix
    let logProbabilities: Matrix
    let logitGradient: Matrix
    /// Each attribute's value named, and each game's reward.
    let outcomes: HeadOutcomes
    /// 1 when every attribute of the game was named right, else 0.
    let wins: UnsafeMutablePointer<Float>
    /// Games of the last forward.
    private var rows = 0

    var decidesBySampling: Bool { false }
    var outputs: Matrix { logits }
    var queryPass: QueryScoringPass? { nil }

    init(space: ObjectSpace, hidden: Int, capacity: Int, parameters: Parameters, arena: Arena) {
        self.space = space
        output = Linear(input: hidden, output: space.width, parameters: parameters)
        var offsets: [Int] = [], start = 0
        for values in space.attributes {
            offsets.append(start)
            start += values
        }
        self.offsets = offsets
        stateLogits = arena.matrix(rows: capacity, columns: space.width)
        stateLogitGradient = arena.matrix(rows: capacity, columns: space.width)
        logits = arena.matrix(rows: capacity, columns: space.width)
        logProbabilities = arena.matrix(rows: capacity, columns: space.width)
        logitGradient = arena.matrix(rows: capacity, columns: space.width)
        outcomes = HeadOutcomes(capacity: capacity, width: space.attributes.count, arena: arena)
        wins = arena.floats(capacity)
    }

    /// Every attribute's most likely value; `sampled` is ignored (the head never samples).
    func forward(_ states: Matrix, rows stateRows: Indices?, batch: GameBatch, sampled: Bool, random: inout Random) {
        rows = batch.size
        let attributes = space.attributes.count
        let z = stateLogits.rows(0..<states.rows)
        output.forward(states, into: z)
        for b in 0..<rows {
            logits.row(b).update(from: z.row(stateRows.map { $0[b] } ?? b), count: space.width)
            let target = batch.targets[b]
            var loss: Float = 0, entropy: Float = 0, chosen: Float = 0, right = true
            for a in 0..<attributes {
                let count = space.attributes[a]
                let l = logProbabilities.row(b) + offsets[a]
                Kernels.logSoftmax(row: logits.row(b) + offsets[a], into: l, count: count)
                let choice = Kernels.argmax(l, count: count)
                outcomes.decisions[b * attributes + a] = choice
                chosen += l[choice]
                for j in 0..<count {
                    let p = FastMath.exponentialOrZero(l[j])
                    if p > 0 { entropy -= p * l[j] }
                }
                let value = space.value(of: target, attribute: a)
                loss -= l[value]
                if choice != value { right = false }
            }
            outcomes.rewards[b] = -loss / Float(attributes)
            outcomes.entropies[b] = entropy / Float(attributes)
            outcomes.chosenLogProbabilities[b] = chosen
            wins[b] = right ? 1 : 0
        }
    }

    func reinforceGradient(advantages: UnsafePointer<Float>, entropyWeight: Float, scale: Float) -> Float {
        preconditionFailure("the reconstruction head decides deterministically and learns by its loss under every channel")
    }

    /// ∂/∂logit of the mean over attributes of −log p(target's value), times
    /// `scale`: (softmax − one-hot of the value) / attributes, per attribute.
    func lossGradient(_ loss: ListenerLossKind, batch: GameBatch, scale: Float) -> Float {
        precondition(loss == .crossEntropy, "the reconstruction game's listener learns by cross-entropy")
        let attributes = space.attributes.count
        let weight = scale / Float(attributes)
        var total: Float = 0
        for b in 0..<rows {
            total -= outcomes.rewards[b]
            let target = batch.targets[b]
            let l = logProbabilities.row(b), d = logitGradient.row(b)
            for j in 0..<space.width { d[j] = weight * FastMath.exponentialOrZero(l[j]) }
            for a in 0..<attributes { d[offsets[a] + space.value(of: target, attribute: a)] -= weight }
        }
        return total / Float(max(rows, 1))
    }

    func backward(_ states: Matrix, rows stateRows: Indices?, batch: GameBatch, stateGradient: Matrix) {
        let dz: Matrix
        if let stateRows {
            // Games that share a state row add their gradients onto it.
            dz = stateLogitGradient.rows(0..<states.rows)
            dz.zero()
            for b in 0..<rows { Kernels.axpy(1, logitGradient.row(b), dz.row(stateRows[b]), count: space.width) }
        } else {
            dz = logitGradient.rows(0..<rows)
        }
        output.backward(states, outputGradient: dz, inputGradient: stateGradient, accumulateInput: true)
    }

    func accuracy() -> Float { meanOverGames(wins, rows) }
}
