import Foundation
import KoineGame
import KoineTensor

/// What one training step did on this rank.
public struct StepOutcome {
    public var figures = StepFigures()
    /// Agents re-initialised before the step.
    public var resets: [ResetEvent] = []
    /// Seconds this rank waited for the shared encoder's all-reduce.
    public var allreduceSeconds: Double = 0
}

extension Population {
    /// One training step of this rank, in the order it happens: games forward
    /// → objectives backward → reduce → update. Every change of a parameter
    /// during training happens here or in code called from here; the
    /// trainer, the learning tests and `koine bench game` all run this
    /// function. The objective (`StepObjective`, chosen when the population
    /// is built) decides when the game's loss is learnt: as each listener
    /// finishes its games, or combined with another task's after all of them.
    public func trainStep(_ step: Int) throws -> StepOutcome {
        var outcome = StepOutcome()
        // 1. Scheduled resets: fresh parameters and optimizer state.
        outcome.resets = applyResets(before: step)
        // 2. The step's objects and their encodings, once for the step.
        let senderRow = encodeObjects(step: step)
        // 3. Who plays whom.
        pairings.draw(step: step, random: &pairingStream)
        // 4. Each speaker's games: it speaks, its listeners play (and, when
        //    the objective learns while playing, learn and update in turn).
        for s in speakers.indices { try playGames(of: s, step: step, senderRow: senderRow, figures: &outcome.figures) }
        updateListeners(finishedWith: nil)
        // 5. The objective's remaining backward passes, through the encoders.
        //    The shared encoder's all-reduce across ranks starts bucket by
        //    bucket as its gradient becomes final.
        objective.backward(step: step, outcome: &outcome)
        // 6. The shared encoder's gradient (and what must stay identical with
        //    it), averaged over ranks, so every replica takes the same update.
        if let buckets = gradientBuckets, let shared = sharedEncoder {
            outcome.allreduceSeconds = try buckets.finish()
            // Batch norm's running statistics moved with each rank's own
            // images; their mean keeps the replicas identical.
            if let statistics = shared.statistics {
                try communicator.allreduceAverage(statistics.values, count: statistics.count)
            }
            for parameters in objective.replicated {
                try communicator.allreduceAverage(parameters.gradients, count: parameters.count)
            }
        }
        // 7. The updates not yet taken: the objective's, then the encoders'.
        objective.update()
        for encoder in encoders { encoder.module.step() }
        return outcome
    }

    /// When the game has more objects than a table holds: this rank's scene
    /// and, when some games come from another rank, that rank's scene after
    /// it, then, in the encoders speakers read, the speakers' view of this
    /// rank's scene when it differs (augmented images). Then every encoding.
    /// Returns the first row speakers read.
    private func encodeObjects(step: Int) -> Int {
        var senderRow = 0
        if let source = game.scenes {
            let scene = source.sceneSize
            source.drawScene(step: step, rank: communicator.rank, into: scenes.prefix(scene))
            var objects = scenes.prefix(scene)
            if let exchange {
                let sender = communicator.peer(offset: -exchange.offset(step: step))
                source.drawScene(step: step, rank: sender, into: scenes.slice(scene..<2 * scene))
                objects = scenes.prefix(2 * scene)
            }
            for encoder in encoders {
                encoder.select(objects)
                if speakers.contains(where: { $0.encoder === encoder }) {
                    senderRow = source.addSenderView(to: encoder, step: step, rank: communicator.rank)
                }
            }
        }
        for encoder in encoders { encoder.forward() }
        return senderRow
    }

    /// Speaker `s`'s games: its messages, its listeners' play, and, when the
    /// objective learns while playing, the speaker's learning and update.
    private func playGames(of s: Int, step: Int, senderRow: Int, figures: inout StepFigures) throws {
        let speaker = speakers[s], batch = batches[s], partners = pairings.partners(of: s)
        let games = configuration.train.batch, local = games - remoteGames
        let scene = game.scenes?.sceneSize ?? 0
        game.sample(into: batch, random: &gameStreams[s])
        speaker.speak(targets: batch.senderTargets(from: senderRow, into: senderTargetRows), random: &speakerStreams[s], greedy: false)
        for b in 0..<games { speakerRewards[b] = 0 }
        // The last games of the batch go to another rank's listeners; this
        // rank's listeners play the games that rank sent in their place, and
        // the outcomes go back.
        if let exchange {
            let offset = exchange.offset(step: step)
            // The received games name the sender's scene, the table's second half.
            try exchange.exchangeGames(batch, speaker.message, first: local, offset: offset, tag: 2 * s,
                                       objectOffset: Int32(scene))
            for l in partners {
                play(listener: l, speaker: s, message: exchange.message, batch: exchange.batch,
                     rewards: exchange.rewards, figures: &figures)
                if local == 0 { updateListeners(finishedWith: (s, l)) }
            }
            figures.crossRankGames += remoteGames * partners.count
            try exchange.exchangeReplies(offset: offset, tag: 2 * s + 1, first: local,
                                         speakerRewards: speakerRewards, sent: speaker.message)
            figures.crossRankReplies += remoteGames
        }
        if local > 0 {
            var message = speaker.message
            message.rows = local
            for l in partners {
                play(listener: l, speaker: s, message: message, batch: batch.prefix(local),
                     rewards: speakerRewards, figures: &figures)
                updateListeners(finishedWith: (s, l))
            }
        }
        // The speaker learns from its rewards (or its messages' gradients).
        guard objective.learnsWhilePlaying else { return }
        let loss = channel.speakerLearns(speaker, rewards: speakerRewards)
        figures.addSpeaker(loss: loss, entropy: speaker.meanEntropy())
        speaker.module.step()
    }

    /// Listener `l` plays a batch of speaker `s`'s games and, when the
    /// objective learns while playing, learns from them; each game's reward
    /// is averaged into `rewards` over the speaker's listeners.
    private func play(listener l: Int, speaker s: Int, message: Message, batch: GameBatch,
                      rewards: UnsafeMutablePointer<Float>, figures: inout StepFigures) {
        let listener = listeners[l]
        listener.listen(to: message, batch: batch, random: &listenerStreams[l], greedy: false)
        guard objective.learnsWhilePlaying else { return }
        let partners = pairings.partners(of: s).count
        let counts = GameCounts(listener: configuration.train.batch * max(pairings.plays(of: l), 1),
                                speaker: configuration.train.batch * partners)
        let loss = channel.listenerLearns(listener, counts: counts)
        for b in 0..<batch.size { rewards[b] += listener.rewards[b] / Float(partners) }
        figures.addListener(games: batch.size, accuracy: listener.accuracy(), loss: loss, entropy: listener.meanEntropy())
    }

    /// Updates a listener as soon as it has played its last game of the step
    /// (`pair`: the speaker and listener that just finished a batch), and,
    /// with `nil` after every game, the listeners no speaker chose (a
    /// zero-gradient step, as every listener takes one). The invariant that
    /// lets listeners share a workspace: nothing reads a listener after its
    /// last game, so updating it then is the arithmetic of updating every
    /// agent at the end, while its gradient is still in cache. Only when the
    /// objective learns while playing; otherwise it updates them itself.
    private func updateListeners(finishedWith pair: (speaker: Int, listener: Int)?) {
        guard objective.learnsWhilePlaying else { return }
        if let (s, l) = pair {
            if pairings.isLast(speaker: s, of: l) { listeners[l].module.step() }
        } else {
            for l in listeners.indices where pairings.isIdle(l) { listeners[l].module.step() }
        }
    }
}
