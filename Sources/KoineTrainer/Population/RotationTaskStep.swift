import KoineGame
import KoineTensor

extension Population {
    /// Steps 3–9 of `trainStep` when the population also plays Mihai & Hare's
    /// rotation task (one speaker, one listener, one shared visual encoder,
    /// relaxed messages: `Configuration.validateRotationTask`). The modules
    /// step at the end, once the two tasks' gradients are combined.
    ///
    /// Both losses' gradients are linear in their weights, so one backward
    /// pass of their weighted sum serves `fixed`, `alternating` and
    /// `uncertainty`. The two gradients are computed apart — the rotation
    /// task's first, set aside, then the game's, at the cost of a second
    /// backward pass through whatever both reach — when `pcgrad` projects
    /// them, and every `train.multitask.measure_every` steps to measure their cosine.
    func trainWithRotationTask(_ step: Int, task: RotationTask, multitask: Multitask, senderRow: Int,
                               outcome: inout StepOutcome) throws {
        let speaker = speakers[0], listener = listeners[0], batch = batches[0]
        guard let encoder = sharedEncoder else {
            preconditionFailure("rotation task: the configuration was checked to share one encoder")
        }
        pairings.draw(step: step, random: &pairingStream)
        // 3. The game's forward pass, and the rotation head's.
        game.sample(into: batch, random: &gameStreams[0])
        speaker.speak(targets: batch.senderTargets(from: senderRow, into: senderTargetRows), random: &speakerStreams[0], greedy: false)
        listener.listen(to: speaker.message, batch: batch, random: &listenerStreams[0], greedy: false)
        let rotation = task.side == .sender
            ? task.forwardSender(encoder)
            : task.forwardReceiver(listener, index: 0, targets: batch.targets, rotations: RotationTask.view(encoder).alterations)
        let weights = multitask.weights(step: step)
        let trainsGame = weights.game > 0
        /// The game's backward (with whatever rotation gradient the listener holds pending); its loss.
        func backwardGame() -> Float {
            let loss = channel.listenerLearns(listener, counts: GameCounts(listener: batch.size, speaker: batch.size))
            speaker.backwardGumbel()
            encoder.backward()
            return loss
        }
        var gameLoss: Float = 0, cosine: Float?
        if trainsGame && !multitask.separates(step: step) {
            // 4. One pass of L_game + (w_rotation / w_game) · L_rotation, scaled by w_game after.
            backwardRotation(task, encoder: encoder, listener: listener, weight: weights.rotation / weights.game, alone: false)
            gameLoss = backwardGame()
            multitask.scale(by: weights.game, heads: task.heads)
        } else {
            // 4. The rotation task's gradient, weighted, set apart on the parameters both reach.
            backwardRotation(task, encoder: encoder, listener: listener, weight: weights.rotation, alone: true)
            encoder.backward()
            multitask.gradients.setApart()
            // 5. The game's gradient, unless this step trains the rotation task alone.
            if trainsGame { gameLoss = backwardGame() }
            // 6. Their combination; the cosine only when both trained.
            let measured = multitask.combine(weights: weights)
            if trainsGame { cosine = measured }
        }
        multitask.learnWeights(losses: (gameLoss, rotation.loss))
        outcome.figures.addListener(games: batch.size, accuracy: listener.accuracy(), loss: trainsGame ? gameLoss : nil,
                                    entropy: listener.meanEntropy())
        outcome.figures.addSpeaker(loss: nil, entropy: speaker.meanEntropy())
        outcome.figures.addRotation(loss: rotation.loss, accuracy: rotation.accuracy, games: batch.size, weights: weights, cosine: cosine)
        // 7. The shared encoder's gradient averaged over ranks, whole (its
        //    parts were not final until combined).
        //    The sender's head reads the shared encoder and the learned task
        //    weights weigh its loss: they are averaged too, so they stay as
        //    identical across ranks as the encoder. (The projection and the
        //    weights apply to each rank's own gradients, before the average.)
        if let buckets = gradientBuckets {
            buckets.ready(0..<encoder.module.parameters.count)
            outcome.allreduceSeconds = try buckets.finish()
            if let statistics = encoder.statistics {
                try communicator.allreduceAverage(statistics.values, count: statistics.count)
            }
            for parameters in multitask.replicated {
                try communicator.allreduceAverage(parameters.gradients, count: parameters.count)
            }
        }
        // 8. Every update. A step of the rotation task alone leaves the
        //    modules only the game reaches as they are, as a framework skips
        //    parameters without a gradient.
        for head in task.heads { head.module.step() }
        for module in multitask.modules { module.step() }
        encoder.module.step()
        if trainsGame || task.side == .receiver {
            speaker.module.step()
            listener.module.step()
        }
    }

    /// The rotation head's backward at `weight`, into the encoder's table
    /// (sender) or the listener's state (receiver). `alone`: the receiver's
    /// gradient goes on through the listener and the message now; otherwise
    /// the game's backward carries it on with its own.
    private func backwardRotation(_ task: RotationTask, encoder: ObjectEncoder, listener: Listener, weight: Float, alone: Bool) {
        if task.side == .sender {
            task.backwardSender(encoder, weight: weight)
        } else {
            task.backwardReceiver(listener, index: 0, weight: weight)
            if alone {
                listener.backwardFromState()
                speakers[0].backwardGumbel()
            }
        }
    }
}
