/// Figures of one training step, summed over its games.
public struct StepFigures {
    public var games = 0
    public var wins: Double = 0
    public var speakerLoss: Double = 0
    public var listenerLoss: Double = 0
    public var speakerEntropy: Double = 0
    public var listenerEntropy: Double = 0
    public var speakerBatches = 0
    public var listenerBatches = 0
    /// Games this rank's listeners played for another rank's speakers.
    public var crossRankGames = 0
    /// Rewards (or message gradients) this rank's speakers received back.
    public var crossRankReplies = 0

    public init() {}

    /// One listener's batch of games.
    mutating func addListener(games rows: Int, accuracy: Float, loss: Float, entropy: Float) {
        games += rows
        wins += Double(accuracy) * Double(rows)
        listenerLoss += Double(loss)
        listenerEntropy += Double(entropy)
        listenerBatches += 1
    }

    /// One speaker's batch; a speaker trained through its messages has no loss of its own.
    mutating func addSpeaker(loss: Float?, entropy: Float) {
        if let loss { speakerLoss += Double(loss) }
        speakerEntropy += Double(entropy)
        speakerBatches += 1
    }

    public mutating func add(_ other: StepFigures) {
        games += other.games
        wins += other.wins
        speakerLoss += other.speakerLoss
        listenerLoss += other.listenerLoss
        speakerEntropy += other.speakerEntropy
        listenerEntropy += other.listenerEntropy
        speakerBatches += other.speakerBatches
        listenerBatches += other.listenerBatches
        crossRankGames += other.crossRankGames
        crossRankReplies += other.crossRankReplies
    }

    /// The figures as Doubles, in a fixed order, for reductions over ranks.
    public var packed: [Double] {
        [Double(games), wins, speakerLoss, listenerLoss, speakerEntropy, listenerEntropy,
         Double(speakerBatches), Double(listenerBatches), Double(crossRankGames), Double(crossRankReplies)]
    }

    public init(packed p: [Double]) {
        games = Int(p[0]); wins = p[1]; speakerLoss = p[2]; listenerLoss = p[3]
        speakerEntropy = p[4]; listenerEntropy = p[5]; speakerBatches = Int(p[6]); listenerBatches = Int(p[7])
        crossRankGames = Int(p[8]); crossRankReplies = Int(p[9])
    }

    public var accuracy: Double { games > 0 ? wins / Double(games) : 0 }
    public var meanSpeakerLoss: Double { speakerBatches > 0 ? speakerLoss / Double(speakerBatches) : 0 }
    public var meanListenerLoss: Double { listenerBatches > 0 ? listenerLoss / Double(listenerBatches) : 0 }
    public var loss: Double { meanSpeakerLoss + meanListenerLoss }
    public var meanSpeakerEntropy: Double { speakerBatches > 0 ? speakerEntropy / Double(speakerBatches) : 0 }
    public var meanListenerEntropy: Double { listenerBatches > 0 ? listenerEntropy / Double(listenerBatches) : 0 }
}

