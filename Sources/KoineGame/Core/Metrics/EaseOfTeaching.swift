import KoineTensor

/// How fresh listeners choose while they are taught (`eval.ease_of_teaching.choices`).
public enum TeachingChoices: String, CaseIterable {
    case greedy, sampled
}

/// How the fresh listeners of an ease-of-teaching measurement choose and learn.
public enum TeachingRule: Equatable {
    /// Li & Bowling's `eval_teach_speed`: each listener picks its best-scoring
    /// candidate and learns by REINFORCE on that choice's log-probability, with
    /// raw 0/1 rewards and this entropy bonus (0.1 in their code).
    case greedy(entropyWeight: Float)
    /// Each listener samples its choice and learns by the run's own channel
    /// (its entropy weight and baseline): Koine's measure before the greedy one.
    case sampled

    public init(_ choices: TeachingChoices, entropyWeight: Float) {
        self = choices == .greedy ? .greedy(entropyWeight: entropyWeight) : .sampled
    }
}

/// Ease of teaching (Li & Bowling 2019): how fast fresh listeners learn a
/// fixed language. Each listener — with its own fresh object encoder — is
/// trained on games whose messages come from `lexicon`, and its training
/// accuracy is recorded per step.
public struct EaseOfTeaching {
    /// Each listener's training accuracy, one value per step.
    public var curves: [[Double]]
    /// Mean training accuracy over listeners, one value per step.
    public var curve: [Double]

    /// The steps after which `accuracy(after:)` is reported.
    public static let checkpoints = [50, 100, 200]
    /// The accuracy whose first step is reported, and the steps the early area covers.
    public static let target = 0.9, earlySteps = 200

    public init(curves: [[Double]]) {
        self.curves = curves
        let steps = curves.map(\.count).min() ?? 0
        curve = (0..<steps).map { step in curves.reduce(0) { $0 + $1[step] } / Double(curves.count) }
    }

    /// A mean curve whose listeners are not kept (e.g. averaged over ranks).
    public init(curve: [Double]) {
        curves = []
        self.curve = curve
    }

    /// Mean of the curve: the normalised area under it, in [0, 1]. Over 1,000
    /// steps the plateau dominates it; the speed figures below do not.
    public var area: Double { Self.mean(curve[...]) }

    /// The mean accuracy at the `steps`-th step (1-based); nil past the curve.
    public func accuracy(after steps: Int) -> Double? {
        steps >= 1 && steps <= curve.count ? curve[steps - 1] : nil
    }

    /// The first step (1-based) at which the mean accuracy reaches `target`;
    /// the curve's length plus one when it never does (censored there).
    public func stepsToReach(_ target: Double) -> Int {
        (curve.firstIndex { $0 >= target } ?? curve.count) + 1
    }

    /// The mean accuracy over the first `steps` steps (all when shorter).
    public func area(firstSteps steps: Int) -> Double { Self.mean(curve.prefix(steps)) }

    /// The speed figures by name, as summary.json, metrics.jsonl and `koine
    /// compare` carry them (after `ease_of_teaching_`): accuracy after 50, 100
    /// and 200 steps, the steps to reach 0.9 and the area over the first 200 steps.
    public var speedFigures: [(name: String, value: Double)] {
        var out: [(String, Double)] = []
        for steps in Self.checkpoints {
            if let value = accuracy(after: steps) { out.append(("accuracy_\(steps)", value)) }
        }
        out.append(("steps_to_\(Int(Self.target * 100))", Double(stepsToReach(Self.target))))
        out.append(("area_\(Self.earlySteps)", area(firstSteps: Self.earlySteps)))
        return out
    }

    private static func mean(_ values: ArraySlice<Double>) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// The curve averaged over windows, at most `points` values (for reports).
    public func summarized(points: Int) -> [Double] {
        guard curve.count > points, points > 0 else { return curve }
        let window = Double(curve.count) / Double(points)
        return (0..<points).map { i in
            let lower = Int(Double(i) * window), upper = max(lower + 1, Int(Double(i + 1) * window))
            return curve[lower..<upper].reduce(0, +) / Double(upper - lower)
        }
    }

    /// Teaches `lexicon` to `listeners` fresh listeners for `steps` steps each,
    /// under `rule`. `listenerTaught(k)` is called after the k-th listener's
    /// training (for progress).
    public static func measure(
        lexicon: Lexicon, game: ReferentialGame, settings: AgentSettings, rule: TeachingRule, listeners: Int, steps: Int,
        batch size: Int, random: Random, listenerTaught: (Int) -> Void = { _ in }
    ) -> EaseOfTeaching {
        let arena = Arena()
        let batch = GameBatch(size: size, candidates: game.candidates, arena: arena)
        // The rule, chosen once: the channel the listener learns by and whether it samples.
        let channel: Channel, greedy: Bool
        switch rule {
        case .greedy(let entropyWeight):
            channel = ReinforceChannel(entropyWeight: entropyWeight, baseline: .none,
                                       messageLength: settings.messageLength, capacity: size)
            greedy = true
        case .sampled:
            channel = makeChannel(settings, capacity: size)
            greedy = false
        }
        var message = Message(length: settings.messageLength, vocabulary: settings.vocabulary, capacity: size,
                              differentiable: channel.isDifferentiable, arena: arena)
        message.rows = size
        // A lone listener plays every game of the step, with a lone speaker.
        let counts = GameCounts(listener: size, speaker: size)
        var curves: [[Double]] = []
        for index in 0..<listeners {
            let stream = random.split(UInt64(index))
            let encoder = game.makeEncoder(hidden: settings.hidden, optimizer: settings.optimizer, random: stream.split(1))
            let listener = Listener(settings: settings, encoder: encoder, capacity: size, head: game.listenerHead,
                                    random: stream.split(2))
            var games = stream.split(3)
            var curve = [Double](repeating: 0, count: steps)
            for step in 0..<steps {
                game.sample(into: batch, random: &games)
                write(lexicon: lexicon, targets: batch.targets, into: message)
                encoder.forward()
                listener.listen(to: message, batch: batch, random: &games, greedy: greedy)
                _ = channel.listenerLearns(listener, counts: counts)
                // The lexicon's speaker is frozen: the message's gradient goes nowhere.
                if message.isDifferentiable { message.zeroGradients() }
                encoder.backward()
                encoder.module.step()
                listener.module.step()
                curve[step] = Double(listener.accuracy())
            }
            curves.append(curve)
            listenerTaught(index + 1)
        }
        return EaseOfTeaching(curves: curves)
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
