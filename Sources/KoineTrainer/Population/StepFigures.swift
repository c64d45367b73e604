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
    /// Listener batches whose loss was counted.
    public var listenerLossBatches = 0
    /// Games this rank's listeners played for another rank's speakers.
    public var crossRankGames = 0
    /// Rewards (or message gradients) this rank's speakers received back.
    public var crossRankReplies = 0
    /// Steps that trained the rotation task beside the game (`agents.rotation_task`).
    public var multitaskSteps = 0
    public var rotationLoss: Double = 0
    /// Rotation predictions, and the correct ones.
    public var rotationGames = 0
    public var rotationCorrect: Double = 0
    /// Cosines between the two tasks' gradients on their shared parameters,
    /// summed over the steps that trained both.
    public var gradientCosine: Double = 0
    public var cosineSteps = 0
    /// The tasks' weights, summed over multitask steps.
    public var gameWeight: Double = 0
    public var rotationWeight: Double = 0

    public init() {}

    /// One listener's batch of games; its loss is nil when the step did not
    /// train the game (the rotation task's rotation-only steps).
    mutating func addListener(games rows: Int, accuracy: Float, loss: Float?, entropy: Float) {
        games += rows
        wins += Double(accuracy) * Double(rows)
        if let loss {
            listenerLoss += Double(loss)
            listenerLossBatches += 1
        }
        listenerEntropy += Double(entropy)
        listenerBatches += 1
    }

    /// One speaker's batch; a speaker trained through its messages has no loss of its own.
    mutating func addSpeaker(loss: Float?, entropy: Float) {
        if let loss { speakerLoss += Double(loss) }
        speakerEntropy += Double(entropy)
        speakerBatches += 1
    }

    /// One step of the rotation task: its loss, accuracy over `games`, the
    /// weights and, when both tasks trained, their gradients' cosine.
    mutating func addRotation(loss: Float, accuracy: Float, games rows: Int, weights: (game: Float, rotation: Float), cosine: Float?) {
        multitaskSteps += 1
        rotationLoss += Double(loss)
        rotationGames += rows
        rotationCorrect += Double(accuracy) * Double(rows)
        gameWeight += Double(weights.game)
        rotationWeight += Double(weights.rotation)
        if let cosine {
            gradientCosine += Double(cosine)
            cosineSteps += 1
        }
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
        listenerLossBatches += other.listenerLossBatches
        crossRankGames += other.crossRankGames
        crossRankReplies += other.crossRankReplies
        multitaskSteps += other.multitaskSteps
        rotationLoss += other.rotationLoss
        rotationGames += other.rotationGames
        rotationCorrect += other.rotationCorrect
        gradientCosine += other.gradientCosine
        cosineSteps += other.cosineSteps
        gameWeight += other.gameWeight
        rotationWeight += other.rotationWeight
    }

    /// How many figures `packed` held before the rotation task's were added.
    static let figuresBeforeRotation = 10

    /// The figures as Doubles, in a fixed order, for reductions over ranks.
    public var packed: [Double] {
        [Double(games), wins, speakerLoss, listenerLoss, speakerEntropy, listenerEntropy,
         Double(speakerBatches), Double(listenerBatches), Double(crossRankGames), Double(crossRankReplies),
         Double(multitaskSteps), rotationLoss, Double(rotationGames), rotationCorrect, gradientCosine, Double(cosineSteps),
         gameWeight, rotationWeight, Double(listenerLossBatches)]
    }

    public init(packed p: [Double]) {
        games = Int(p[0]); wins = p[1]; speakerLoss = p[2]; listenerLoss = p[3]
        speakerEntropy = p[4]; listenerEntropy = p[5]; speakerBatches = Int(p[6]); listenerBatches = Int(p[7])
        crossRankGames = Int(p[8]); crossRankReplies = Int(p[9])
        multitaskSteps = Int(p[10]); rotationLoss = p[11]; rotationGames = Int(p[12]); rotationCorrect = p[13]
        gradientCosine = p[14]; cosineSteps = Int(p[15]); gameWeight = p[16]; rotationWeight = p[17]
        listenerLossBatches = Int(p[18])
    }

    public var accuracy: Double { games > 0 ? wins / Double(games) : 0 }
    public var meanSpeakerLoss: Double { speakerBatches > 0 ? speakerLoss / Double(speakerBatches) : 0 }
    public var meanListenerLoss: Double { listenerLossBatches > 0 ? listenerLoss / Double(listenerLossBatches) : 0 }
    public var loss: Double { meanSpeakerLoss + meanListenerLoss }
    public var meanSpeakerEntropy: Double { speakerBatches > 0 ? speakerEntropy / Double(speakerBatches) : 0 }
    public var meanListenerEntropy: Double { listenerBatches > 0 ? listenerEntropy / Double(listenerBatches) : 0 }

    /// The rotation task's figures, as `step` lines and events carry them (none without the task).
    public var rotationFields: [(name: String, value: Double)] {
        guard multitaskSteps > 0 else { return [] }
        let steps = Double(multitaskSteps)
        // No cosine when no step of the window measured one (see train.multitask.measure_every).
        return [("rotation_loss", rotationLoss / steps),
                ("rotation_accuracy", rotationGames > 0 ? rotationCorrect / Double(rotationGames) : 0)]
            + (cosineSteps > 0 ? [("gradient_cosine", gradientCosine / Double(cosineSteps))] : [])
            + [("game_weight", gameWeight / steps), ("rotation_weight", rotationWeight / steps)]
    }
}

