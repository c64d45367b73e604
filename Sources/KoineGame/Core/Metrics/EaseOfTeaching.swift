import KoineTensor

/// Ease of teaching (Li & Bowling 2019): how fast fresh listeners learn a
/// fixed language. Each listener — with its own fresh object encoder — is
/// trained on games whose messages come from `lexicon`, and its training
/// accuracy is recorded per step.
public struct EaseOfTeaching {
    /// Mean training accuracy over listeners, one value per step.
    public var curve: [Double]
    /// Mean of the curve: the normalised area under it, in [0, 1].
    public var area: Double { curve.isEmpty ? 0 : curve.reduce(0, +) / Double(curve.count) }

    public init(curve: [Double]) { self.curve = curve }

    /// The curve averaged over windows, at most `points` values (for reports).
    public func summarized(points: Int) -> [Double] {
        guard curve.count > points, points > 0 else { return curve }
        let window = Double(curve.count) / Double(points)
        return (0..<points).map { i in
            let lower = Int(Double(i) * window), upper = max(lower + 1, Int(Double(i + 1) * window))
            return curve[lower..<upper].reduce(0, +) / Double(upper - lower)
        }
    }

    /// `listenerTaught(k)` is called after the k-th listener's training (for progress).
    public static func measure(
        lexicon: Lexicon, game: ReferentialGame, settings: AgentSettings, listeners: Int, steps: Int,
        batch size: Int, random: Random, listenerTaught: (Int) -> Void = { _ in }
    ) -> EaseOfTeaching {
        let arena = Arena()
        let batch = GameBatch(size: size, candidates: game.candidates, arena: arena)
        let channel = makeChannel(settings, capacity: size)
        var message = Message(length: settings.messageLength, vocabulary: settings.vocabulary, capacity: size,
                              differentiable: channel.isDifferentiable, arena: arena)
        message.rows = size
        // A lone listener plays every game of the step, with a lone speaker.
        let counts = GameCounts(listener: size, speaker: size)
        var curve = [Double](repeating: 0, count: steps)
        for index in 0..<listeners {
            let stream = random.split(UInt64(index))
            let encoder = game.makeEncoder(hidden: settings.hidden, optimizer: settings.optimizer, random: stream.split(1))
            let listener = Listener(settings: settings, encoder: encoder, capacity: size, candidates: game.candidates,
                                    random: stream.split(2))
            var games = stream.split(3)
            for step in 0..<steps {
                game.sample(into: batch, random: &games)
                write(lexicon: lexicon, targets: batch.targets, into: message)
                encoder.forward()
                listener.listen(to: message, batch: batch, random: &games, greedy: false)
                _ = channel.listenerLearns(listener, counts: counts)
                // The lexicon's speaker is frozen: the message's gradient goes nowhere.
                if message.isDifferentiable { message.zeroGradients() }
                encoder.backward()
                encoder.module.step()
                listener.module.step()
                curve[step] += Double(listener.accuracy()) / Double(listeners)
            }
            listenerTaught(index + 1)
        }
        return EaseOfTeaching(curve: curve)
    }

    /// Fills `message` with the lexicon's messages for `targets`.
    static func write(lexicon: Lexicon, targets: Indices, into message: Message) {
        for b in 0..<targets.count {
            let symbols = lexicon.messages[targets[b]]
            for t in 0..<message.length {
                let symbol = t < symbols.count ? symbols[t] : (lexicon.endOfMessage ?? 0)
                message.symbols[t][b] = symbol
                if message.isDifferentiable {
                    let row = message.oneHot[t].row(b)
                    for j in 0..<message.vocabulary { row[j] = j == symbol ? 1 : 0 }
                }
            }
        }
    }
}
