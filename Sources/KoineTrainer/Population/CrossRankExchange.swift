import KoineCluster
import KoineGame
import KoineTensor

/// Carries cross-rank games over MPI point-to-point. Each step, speaker s of
/// rank r hands the last `games` games of its batch to the listeners of rank
/// (r + k) mod N, with k = 1 + step mod (N − 1) so that every speaker meets
/// every other rank's listeners; at the same time it receives rank
/// (r − k)'s games for its own listeners. Every rank sends and receives in one
/// `sendReceive`, so the ring cannot deadlock whatever N.
///
/// Outgoing: targets, candidates, target positions and symbols (Int32).
/// Returned: rewards (REINFORCE) or ∂L/∂message (Gumbel), as Float.
final class CrossRankExchange {
    let communicator: Communicator
    let games: Int
    let candidates: Int
    let length: Int
    let vocabulary: Int
    let differentiable: Bool
    let arena = Arena()
    let outgoing: Indices
    let incoming: Indices
    let replyOutgoing: UnsafeMutablePointer<Float>
    let replyIncoming: UnsafeMutablePointer<Float>
    /// The received games and messages, played by this rank's listeners.
    let batch: GameBatch
    var message: Message
    /// Mean reward of the remote games over the listeners that played them.
    let rewards: UnsafeMutablePointer<Float>

    var intCount: Int { games * (2 + candidates + length) }
    var floatCount: Int { differentiable ? games * length * vocabulary : games }

    init(communicator: Communicator, games: Int, candidates: Int, settings: AgentSettings) {
        self.communicator = communicator
        self.games = games
        self.candidates = candidates
        length = settings.messageLength
        vocabulary = settings.vocabulary
        differentiable = settings.channel == .gumbel
        let ints = games * (2 + candidates + settings.messageLength)
        let floats = differentiable ? games * settings.messageLength * settings.vocabulary : games
        outgoing = arena.indices(max(ints, 1))
        incoming = arena.indices(max(ints, 1))
        replyOutgoing = arena.floats(max(floats, 1))
        replyIncoming = arena.floats(max(floats, 1))
        batch = GameBatch(size: games, candidates: candidates, arena: arena)
        message = Message(length: settings.messageLength, vocabulary: settings.vocabulary, capacity: games,
                          differentiable: differentiable, arena: arena)
        message.rows = games
        rewards = arena.floats(max(games, 1))
    }

    /// The ring offset of `step`.
    func offset(step: Int) -> Int { 1 + step % (communicator.size - 1) }

    /// Sends games `first..<first + games` of `source` and `message` to the
    /// rank `offset` ahead, and receives the rank `offset` behind's into `batch`
    /// and `message`; `objectOffset` is added to the received object ids
    /// (where the sender's scene sits in this rank's tables).
    func exchangeGames(_ source: GameBatch, _ sent: Message, first: Int, offset: Int, tag: Int, objectOffset: Int32 = 0) throws {
        let g = games, k = candidates
        var index = 0
        for b in 0..<g { outgoing.base[index] = source.targets.base[first + b]; index += 1 }
        for b in 0..<(g * k) { outgoing.base[index] = source.candidates.base[first * k + b]; index += 1 }
        for b in 0..<g { outgoing.base[index] = source.targetPositions.base[first + b]; index += 1 }
        for t in 0..<length {
            for b in 0..<g { outgoing.base[index] = sent.symbols[t].base[first + b]; index += 1 }
        }
        try communicator.sendReceive(
            outgoing.base, sendCount: intCount, to: communicator.peer(offset: offset),
            incoming.base, receiveCount: intCount, from: communicator.peer(offset: -offset), tag: tag)
        index = 0
        for b in 0..<g { batch.targets.base[b] = incoming.base[index] + objectOffset; index += 1 }
        for b in 0..<(g * k) { batch.candidates.base[b] = incoming.base[index] + objectOffset; index += 1 }
        for b in 0..<g { batch.targetPositions.base[b] = incoming.base[index]; index += 1 }
        for t in 0..<length {
            for b in 0..<g {
                let symbol = incoming.base[index]
                index += 1
                message.symbols[t].base[b] = symbol
                if differentiable {
                    let row = message.oneHot[t].row(b)
                    for j in 0..<vocabulary { row[j] = j == Int(symbol) ? 1 : 0 }
                }
            }
        }
        message.zeroGradients()
        for b in 0..<g { rewards[b] = 0 }
    }

    /// Returns what this rank's listeners made of the received games to their
    /// speaker's rank, and receives the same for the games it sent; writes
    /// them into `speakerRewards` or `sent.gradients` at rows `first...`.
    func exchangeReplies(offset: Int, tag: Int, first: Int, speakerRewards: UnsafeMutablePointer<Float>, sent: Message) throws {
        let g = games
        if differentiable {
            var index = 0
            for t in 0..<length {
                for b in 0..<g {
                    replyOutgoing.advanced(by: index).update(from: message.gradients[t].row(b), count: vocabulary)
                    index += vocabulary
                }
            }
        } else {
            replyOutgoing.update(from: rewards, count: g)
        }
        try communicator.sendReceive(
            replyOutgoing, sendCount: floatCount, to: communicator.peer(offset: -offset),
            replyIncoming, receiveCount: floatCount, from: communicator.peer(offset: offset), tag: tag)
        if differentiable {
            var index = 0
            for t in 0..<length {
                for b in 0..<g {
                    let row = sent.gradients[t].row(first + b)
                    for j in 0..<vocabulary { row[j] += replyIncoming[index + j] }
                    index += vocabulary
                }
            }
        }
        // Rewards come back under both channels for the speaker's accuracy figures.
        if !differentiable {
            for b in 0..<g { speakerRewards[first + b] = replyIncoming[b] }
        }
    }
}
