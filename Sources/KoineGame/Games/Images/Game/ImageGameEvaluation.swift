import Foundation
import KoineTensor

/// Greedy play on held-out images and Mihai & Hare's measures of it: the
/// communication rate (and its standard deviation over games, as they
/// report it), the top-5 rate, how many of the five best-scored images
/// share the target's class, and the mean rank of the images of the
/// target's class (1 is the best score; both counts include the target);
/// with the messages' length, symbols and, on `shapes`, their topographic
/// similarity and positional disentanglement over the drawn attributes.
extension ImageGame {
    public func evaluate(speakers: [Speaker], listeners: [Listener], encoders: [ObjectEncoder], batch _: Int) -> GameEvaluation {
        let arena = Arena()
        defer { withExtendedLifetime(arena) {} }
        let batch = GameBatch(size: sceneSize, candidates: candidates, arena: arena)
        let ids = arena.indices(sceneSize)
        var tally = ImageGameTally()
        var messages = [[[Int]]](repeating: [], count: speakers.count)
        for encoder in encoders { encoder.training = false }
        defer { for encoder in encoders { encoder.training = true } }
        var random = Random(seed: 0).split(99)   // the same games at every evaluation
        let senderTargets = arena.indices(sceneSize)
        var rotation = RotationTally()
        // Whether messages are used (Lowe et al. 2019): interventions on a few
        // games per scene, the message sent against the image chosen, and
        // the speakers' sampled messages, each from generators of their own.
        var influence = 0.0, influenced = 0.0
        var sent: [[Int]] = [], chosen: [Int] = []
        var interactions: [Interaction] = []
        let end = speakers.first.map { $0.settings.variableLength ? Int($0.settings.endOfMessage) : nil } ?? nil
        var interventions = Random(seed: 0).split(97)
        let settings = speakers.first?.settings
        let scratch = settings.map { InterventionScratch(capacity: ImageGame.intervenedGames * ImageGame.intervenedMessages,
                                                         candidates: candidates, settings: $0) }
        for (index, scene) in evaluationScenes.enumerated() {
            for (position, image) in scene.enumerated() { ids[position] = evaluationImages[image] }
            // The sender's view of the scene, altered the same way at every evaluation.
            var offset = 0
            for encoder in encoders {
                encoder.select(ids)
                if speakers.contains(where: { $0.encoder === encoder }) {
                    var view = Random(seed: 0).split(0x5649_4557, UInt64(index))   // "VIEW"
                    offset = addSenderView(to: encoder, random: &view)
                }
                encoder.forward()
            }
            for game in 0..<sceneSize { fill(game: game, batch: batch, random: &random) }
            for (s, speaker) in speakers.enumerated() {
                speaker.speak(targets: batch.senderTargets(from: offset, into: senderTargets), random: &random, greedy: true)
                for game in 0..<sceneSize { messages[s].append(speaker.message.symbols(of: game)) }
                if let task = rotationTask, task.side == .sender {
                    rotation.add(task.forwardSender(speaker.encoder).accuracy, games: sceneSize)
                }
                for (l, listener) in listeners.enumerated() {
                    listener.listen(to: speaker.message, batch: batch, random: &random, greedy: true)
                    tally.add(scores: listener.lastScores, batch: batch) { self.images.labels[ids[$0]] }
                    if let task = rotationTask, task.side == .receiver, let view = speaker.encoder.senderView {
                        let measured = task.forwardReceiver(listener, index: l, targets: batch.targets, rotations: view.alterations)
                        rotation.add(measured.accuracy, games: sceneSize)
                    }
                    for game in 0..<sceneSize {
                        let message = speaker.message.symbols(of: game)
                        let choice = ids[batch.candidates[game * candidates + Int(listener.choices.base[game])]]
                        let target = ids[batch.targets[game]]
                        sent.append(message)
                        chosen.append(choice)
                        interactions.append(Interaction(
                            speaker: s, listener: l, target: target, targetDescription: images.classNames[images.labels[target]],
                            message: Array(message.prefix(ImageGame.length(message, end: end))), choice: choice,
                            reward: choice == target ? 1 : 0))
                    }
                    if let scratch {
                        influence += causalInfluence(listener: listener, messages: speaker.message, batch: batch,
                                                     scratch: scratch, random: &interventions)
                        influenced += 1
                    }
                }
            }
        }
        let lexicons = messages.map { Lexicon(messages: $0, endOfMessage: end) }
        let count = Double(max(lexicons.count, 1))
        func mean(_ figure: (Lexicon) -> Double) -> Double { lexicons.map(figure).reduce(0, +) / count }
        var figures: [(name: String, value: Double)] = [
            ("accuracy", tally.rate),
            ("accuracy_sd", tally.rateDeviation),
            ("top5", tally.top5Rate),
            ("class_in_top5", tally.classInTop5),
            ("class_rank", tally.classRank),
            ("message_length", mean { lexicon in
                let total = lexicon.messages.indices.reduce(0) { $0 + ImageGame.length(lexicon.messages[$1], end: end) }
                return Double(total) / Double(max(lexicon.messages.count, 1))
            }),
            ("symbols_used", mean { lexicon in
                Double(Set(lexicon.messages.flatMap { $0 }.filter { $0 != end }).count)
            }),
            ("entropy", mean(\.entropy)),
            ("lexicon_size", mean { Double($0.size) }),
        ]
        if rotationTask != nil { figures.append(("rotation_accuracy", rotation.accuracy)) }
        if !listeners.isEmpty {
            var sampling = Random(seed: 0).split(98)
            let consistencies = speakers.map { self.consistency(of: $0, encoders: encoders, random: &sampling) }
            figures += [
                ("causal_influence", influenced > 0 ? influence / influenced : .nan),
                ("instantaneous_coordination", Information.mutualInformation(sent, chosen)),
                ("speaker_consistency", consistencies.reduce(0, +) / count),
            ]
        }
        if let attributes = images.attributes {
            let measured = lexicons.map { attributeFigures($0, attributes: attributes) }
            figures.append(("topsim", measured.map(\.topsim).reduce(0, +) / count))
            figures.append(("posdis", measured.map(\.posdis).reduce(0, +) / count))
        }
        return GameEvaluation(figures: figures, lexicons: lexicons, spreadFigures: ["accuracy"], interactions: interactions)
    }

    /// A lexicon (a speaker's greedy message for every held-out image, as
    /// `lexicon(of:)` gives it) stands for its speaker on the evaluation scenes.
    public var playsLexicons: Bool { true }
    public var lexiconObjects: Int { evaluationImages.count }

    /// `listener` plays every evaluation scene with `lexicon`'s messages, as
    /// `evaluate` plays them with a live speaker: accuracy, causal influence
    /// and coordination over the same games.
    public func play(lexicon: Lexicon, listener: Listener, batch _: Int) -> PlayedGames? {
        guard lexicon.messages.count == evaluationImages.count else { return nil }
        let arena = Arena()
        let batch = GameBatch(size: sceneSize, candidates: candidates, arena: arena)
        let ids = arena.indices(sceneSize)
        var message = Message(length: listener.settings.messageLength, vocabulary: listener.settings.vocabulary,
                              capacity: sceneSize, differentiable: listener.settings.channel == .gumbel, arena: arena)
        let sources = arena.indices(sceneSize)
        let scratch = InterventionScratch(capacity: ImageGame.intervenedGames * ImageGame.intervenedMessages,
                                          candidates: candidates, settings: listener.settings)
        let encoder = listener.encoder
        let wasTraining = encoder.training
        encoder.training = false
        defer { encoder.training = wasTraining }
        var random = Random(seed: 0).split(99)   // the evaluation's own games
        var interventions = Random(seed: 0).split(97)
        var wins = 0.0, influence = 0.0, scenes = 0.0
        var targets: [Int] = [], chosen: [Int] = [], sent: [[Int]] = []
        for scene in evaluationScenes {
            for (position, image) in scene.enumerated() { ids[position] = evaluationImages[image] }
            encoder.select(ids)
            encoder.forward()
            for game in 0..<sceneSize { fill(game: game, batch: batch, random: &random) }
            // Game g targets scene position g: its message is that image's.
            for game in 0..<sceneSize { sources[game] = scene.lowerBound + batch.targets[game] }
            message.rows = sceneSize
            EaseOfTeaching.write(lexicon: lexicon, targets: sources.prefix(sceneSize), into: message)
            var unused = Random(seed: 0)
            listener.listen(to: message, batch: batch, random: &unused, greedy: true)
            for game in 0..<sceneSize {
                let choice = ids[batch.candidates[game * candidates + Int(listener.choices.base[game])]]
                let target = ids[batch.targets[game]]
                wins += Double(listener.rewards[game])
                targets.append(target)
                chosen.append(choice)
                sent.append(lexicon.trimmed(sources[game]))
            }
            influence += causalInfluence(listener: listener, messages: message, batch: batch, scratch: scratch, random: &interventions)
            scenes += 1
        }
        let games = Double(max(targets.count, 1))
        return PlayedGames(causalInfluence: scenes > 0 ? influence / scenes : .nan,
                           coordination: Information.mutualInformation(sent, chosen),
                           accuracy: wins / games, targets: targets, chosen: chosen)
    }

    /// Games per scene whose listener is shown other candidates' messages,
    /// and the messages each is shown (its target's and others drawn).
    static let intervenedGames = 8, intervenedMessages = 8
    /// Messages sampled per image, and scenes sampled, for speaker consistency.
    static let consistencySamples = 8, consistencyScenes = 2

    /// Causal influence over the scene's first `intervenedGames` games (fewer
    /// when the listener cannot read them all at once): each
    /// game's listener shown the messages of `intervenedMessages` of its
    /// candidates (the target's and others drawn without replacement), each
    /// equally likely; so at most log₂ 8 = 3 bits. The message of the image
    /// at scene position p is the one the speaker sent in the game targeting p.
    func causalInfluence(listener: Listener, messages: Message, batch: GameBatch, scratch: InterventionScratch,
                         random: inout Random) -> Double {
        // As many games as the listener can read at once (its capacity is a scene's).
        let shown = min(ImageGame.intervenedMessages, candidates, listener.capacity)
        let games = max(1, min(ImageGame.intervenedGames, sceneSize, listener.capacity / shown))
        let rows = games * shown
        let intervened = scratch.batch.prefix(rows)
        var message = scratch.message
        message.rows = rows
        for g in 0..<games {
            let row = batch.candidates.base + g * candidates
            var positions = [batch.targetPositions[g]]
            var others = Array(0..<candidates).filter { $0 != positions[0] }
            for _ in 1..<shown { positions.append(others.remove(at: random.nextInt(below: others.count))) }
            for (i, position) in positions.enumerated() {
                let r = g * shown + i, source = Int(row[position])
                for k in 0..<candidates { intervened.candidates[r * candidates + k] = Int(row[k]) }
                intervened.targetPositions[r] = position
                intervened.targets[r] = source
                for t in 0..<message.length {
                    message.symbols[t][r] = messages.symbols[t][source]
                    if message.isDifferentiable {
                        message.oneHot[t].row(r).update(from: messages.oneHot[t].row(source), count: message.vocabulary)
                    }
                }
            }
        }
        var unused = Random(seed: 0)  // greedy play draws nothing
        listener.listen(to: message, batch: intervened, random: &unused, greedy: true)
        let scores = listener.lastScores
        var total = 0.0
        for g in 0..<games {
            let distributions = (0..<shown).map { Communication.choices(scores: scores.row(g * shown + $0), count: candidates) }
            total += Communication.causalInfluence(distributions)
        }
        return total / Double(games)
    }

    /// Speaker consistency over the first `consistencyScenes` evaluation
    /// scenes: `consistencySamples` messages sampled per image.
    func consistency(of speaker: Speaker, encoders: [ObjectEncoder], random: inout Random) -> Double {
        Communication.consistency(samples: sampledMessages(of: speaker, scenes: evaluationScenes.prefix(ImageGame.consistencyScenes),
                                                           samples: ImageGame.consistencySamples, random: &random))
    }

    /// Every held-out image's sampled messages, scene by scene: the lexicon's order.
    public func sampledMessages(of speaker: Speaker, samples: Int, random: inout Random) -> [[[Int]]] {
        sampledMessages(of: speaker, scenes: evaluationScenes[...], samples: samples, random: &random)
    }

    /// `samples` messages drawn from the speaker's policy for each image of
    /// `scenes`, in their order: its own encoder in evaluation mode, each
    /// scene as it is (no altered view).
    func sampledMessages(of speaker: Speaker, scenes: ArraySlice<Range<Int>>, samples: Int, random: inout Random) -> [[[Int]]] {
        let arena = Arena()
        defer { withExtendedLifetime(arena) {} }
        let ids = arena.indices(sceneSize), targets = arena.indices(sceneSize)
        // Batch norm's running statistics, which a training-mode forward would move.
        let wasTraining = speaker.encoder.training
        speaker.encoder.training = false
        defer { speaker.encoder.training = wasTraining }
        var sampled: [[[Int]]] = []
        for scene in scenes {
            for (position, image) in scene.enumerated() { ids[position] = evaluationImages[image] }
            speaker.encoder.select(ids)
            speaker.encoder.forward()
            for game in 0..<sceneSize { targets[game] = game }
            var drawn = [[[Int]]](repeating: [], count: sceneSize)
            for _ in 0..<samples {
                speaker.speak(targets: targets, random: &random, greedy: false)
                for game in 0..<sceneSize { drawn[game].append(speaker.message.symbols(of: game)) }
            }
            sampled += drawn
        }
        return sampled
    }

    public func lexicon(of speaker: Speaker) -> Lexicon {
        evaluate(speakers: [speaker], listeners: [], encoders: [speaker.encoder], batch: sceneSize).lexicons[0]
    }

    /// Symbols up to and including the end symbol (all of them at fixed length).
    static func length(_ message: [Int], end: Int?) -> Int {
        guard let end, let first = message.firstIndex(of: end) else { return message.count }
        return first + 1
    }

    /// Images whose pairs topsim compares: Levenshtein over every pair is
    /// quadratic, and a few hundred images measure it well.
    static let attributeSample = 500

    /// Topographic similarity and positional disentanglement of messages
    /// about the held-out images' drawn attributes, over the first distinct
    /// attribute tuples (one image each).
    func attributeFigures(_ lexicon: Lexicon, attributes: ImageAttributes) -> (topsim: Double, posdis: Double) {
        guard let space = try? ObjectSpace(attributes: attributes.sizes, holdout: 0, random: Random(seed: 0)) else { return (0, 0) }
        var messages = [[Int]](repeating: [], count: space.count)
        var objects: [Int] = []
        for image in 0..<lexicon.messages.count where objects.count < ImageGame.attributeSample {
            let object = attributes.object(of: evaluationImages[image])
            if messages[object].isEmpty && !lexicon.messages[image].isEmpty {
                messages[object] = lexicon.messages[image]
                objects.append(object)
            }
        }
        guard objects.count >= 2 else { return (0, 0) }
        let byObject = Lexicon(messages: messages.map { $0.isEmpty ? lexicon.messages[0] : $0 }, endOfMessage: lexicon.endOfMessage)
        return (TopographicSimilarity.measure(lexicon: byObject, space: space, objects: objects, distance: distance),
                Disentanglement.positional(lexicon: byObject, space: space, objects: objects))
    }
}

/// The rotation heads' correct predictions over evaluation's games.
struct RotationTally {
    var correct = 0.0
    var games = 0.0

    mutating func add(_ accuracy: Float, games count: Int) {
        correct += Double(accuracy) * Double(count)
        games += Double(count)
    }

    var accuracy: Double { games > 0 ? correct / games : 0 }
}

/// Sums of the image game's per-game measures.
struct ImageGameTally {
    var games = 0.0
    var wins = 0.0
    var top5 = 0.0
    var classInTop5Total = 0.0
    var classRankTotal = 0.0
    private var order: [Int] = []

    /// One listener's games: `scores` rows against `batch`'s candidates;
    /// `label(id)` is the class of the scene's image `id`.
    mutating func add(scores: Matrix, batch: GameBatch, label: (Int) -> Int) {
        let k = batch.candidateCount
        if order.count != k { order = Array(0..<k) }
        for game in 0..<scores.rows {
            let row = scores.row(game), target = batch.targetPositions[game]
            let targetScore = row[target]
            // A target with no score (NaN, from a diverged model) ranks last;
            // other NaN scores rank below every number.
            var above = targetScore.isNaN ? k - 1 : 0
            if !targetScore.isNaN {
                for j in 0..<k where row[j] > targetScore || (row[j] == targetScore && j < target) { above += 1 }
            }
            games += 1
            if above == 0 { wins += 1 }
            if above < 5 { top5 += 1 }
            // Best score first; equal scores in candidate order, as the greedy choice breaks ties.
            for j in 0..<k { order[j] = j }
            order.sort { a, b in
                let x = row[a], y = row[b]
                if x.isNaN != y.isNaN { return y.isNaN }
                return x > y || ((x == y || x.isNaN) && a < b)
            }
            let targetClass = label(batch.candidates[game * k + target])
            var inTop5 = 0, rankSum = 0, members = 0
            for (rank, j) in order.enumerated() where label(batch.candidates[game * k + j]) == targetClass {
                if rank < 5 { inTop5 += 1 }
                rankSum += rank + 1
                members += 1
            }
            classInTop5Total += Double(inTop5)
            classRankTotal += Double(rankSum) / Double(members)
        }
    }

    var rate: Double { games > 0 ? wins / games : 0 }
    /// The standard deviation of the 0/1 outcome over games.
    var rateDeviation: Double { (rate * (1 - rate)).squareRoot() }
    var top5Rate: Double { games > 0 ? top5 / games : 0 }
    var classInTop5: Double { games > 0 ? classInTop5Total / games : 0 }
    var classRank: Double { games > 0 ? classRankTotal / games : 0 }
}
