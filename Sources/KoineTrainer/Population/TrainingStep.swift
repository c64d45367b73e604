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
    /// One training step of this rank, in the order it happens. Every change
    /// of a parameter during training happens here or in code called from
    /// here; the trainer, the learning tests and `koine bench game` all run
    /// this function. Each agent is updated right after its last game of the
    /// step, while its gradient is still in cache: nothing reads an agent
    /// after its last game, so this is the arithmetic of updating them all at
    /// the end.
    public func trainStep(_ step: Int) throws -> StepOutcome {
        var outcome = StepOutcome()
        // 1. Scheduled resets: fresh parameters and optimizer state.
        outcome.resets = applyResets(before: step)
        // 2. The step's objects, when the game has more than a table holds:
        //    this rank's scene and, when some games come from another rank,
        //    that rank's scene after it, then, in the encoders speakers read,
        //    the speakers' view of this rank's scene when it differs
        //    (augmented images); and their encodings, once for the step.
        let scene = game.scenes?.sceneSize ?? 0
        var senderRow = 0
        if let source = game.scenes {
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
        if let rotationTask, let multitask {
            try trainWithRotationTask(step, task: rotationTask, multitask: multitask, senderRow: senderRow, outcome: &outcome)
            return outcome
        }
        // 3. Who plays whom.
        pairings.draw(step: step, random: &pairingStream)
        let games = configuration.batch, local = games - remoteGames
        for s in speakers.indices {
            let speaker = speakers[s], batch = batches[s], partners = pairings.partners(of: s)
            // 4. The speaker's games and its messages.
            game.sample(into: batch, random: &gameStreams[s])
            speaker.speak(targets: batch.senderTargets(from: senderRow, into: senderTargetRows), random: &speakerStreams[s], greedy: false)
            for b in 0..<games { speakerRewards[b] = 0 }
            // 5. Its listeners play and learn. The last games of the batch go
            //    to another rank's listeners; this rank's listeners play the
            //    games that rank sent in their place, and the outcomes go back.
            if let exchange {
                let offset = exchange.offset(step: step)
                // The received games name the sender's scene, the table's second half.
                try exchange.exchangeGames(batch, speaker.message, first: local, offset: offset, tag: 2 * s,
                                           objectOffset: Int32(scene))
                for l in partners {
                    play(listener: l, speaker: s, message: exchange.message, batch: exchange.batch,
                         rewards: exchange.rewards, figures: &outcome.figures)
                    if local == 0 && pairings.isLast(speaker: s, of: l) { listeners[l].module.step() }
                }
                outcome.figures.crossRankGames += remoteGames * partners.count
                try exchange.exchangeReplies(offset: offset, tag: 2 * s + 1, first: local,
                                             speakerRewards: speakerRewards, sent: speaker.message)
                outcome.figures.crossRankReplies += remoteGames
            }
            if local > 0 {
                var message = speaker.message
                message.rows = local
                for l in partners {
                    play(listener: l, speaker: s, message: message, batch: batch.prefix(local),
                         rewards: speakerRewards, figures: &outcome.figures)
                    if pairings.isLast(speaker: s, of: l) { listeners[l].module.step() }
                }
            }
            // 6. The speaker learns from its rewards (or its messages' gradients).
            let loss = channel.speakerLearns(speaker, rewards: speakerRewards)
            outcome.figures.addSpeaker(loss: loss, entropy: speaker.meanEntropy())
            speaker.module.step()
        }
        // Listeners no speaker chose still take their (zero-gradient) step.
        for l in listeners.indices where pairings.isIdle(l) { listeners[l].module.step() }
        // 7. The encoders' gradients, from every game that read their tables.
        //    The shared encoder's all-reduce across ranks starts bucket by
        //    bucket as its backward pass finishes each part of the gradient.
        for encoder in encoders { encoder.backward() }
        // 8. The shared encoder's gradient, averaged over ranks, so every
        //    replica takes the same update: what is left is started, and the
        //    step waits for every bucket.
        if let shared = sharedEncoder, let buckets = gradientBuckets {
            outcome.allreduceSeconds = try buckets.finish()
            // Batch norm's running statistics moved with each rank's own
            // images; their mean keeps the replicas identical.
            if let statistics = shared.statistics {
                try communicator.allreduceAverage(statistics.values, count: statistics.count)
            }
        }
        // 9. The encoders' updates.
        for encoder in encoders { encoder.module.step() }
        return outcome
    }

    /// Listener `l` plays a batch of speaker `s`'s games and learns from them;
    /// each game's reward is averaged into `rewards` over the speaker's listeners.
    private func play(listener l: Int, speaker s: Int, message: Message, batch: GameBatch,
                      rewards: UnsafeMutablePointer<Float>, figures: inout StepFigures) {
        let listener = listeners[l]
        let partners = pairings.partners(of: s).count
        listener.listen(to: message, batch: batch, random: &listenerStreams[l], greedy: false)
        let counts = GameCounts(listener: configuration.batch * max(pairings.plays(of: l), 1),
                                speaker: configuration.batch * partners)
        let loss = channel.listenerLearns(listener, counts: counts)
        for b in 0..<batch.size { rewards[b] += listener.rewards[b] / Float(partners) }
        figures.addListener(games: batch.size, accuracy: listener.accuracy(), loss: loss, entropy: listener.meanEntropy())
    }
}
