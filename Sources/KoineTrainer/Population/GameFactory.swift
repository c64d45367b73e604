import KoineGame
import KoineTensor

extension Configuration {
    /// The game this configuration plays; `random` draws whatever the game
    /// fixes for the whole run (the attribute game's held-out combinations).
    /// The image game loads its data set here: a missing or malformed one
    /// throws before the run writes anything.
    func makeGame(random: Random) throws -> ReferentialGame {
        try makeGame(root: random, rankStream: random, firstSplit: false).game
    }

    /// The game of a population of `root` (the run's generator) and, with
    /// `agents.rotation_task`, Mihai & Hare's rotation task, which the image
    /// game's evaluation plays too: a sender's head is drawn from `root`, so
    /// it starts the same on every rank; receivers' from `rankStream`.
    func makeGame(root: Random, rankStream: Random, firstSplit: Bool = true) throws -> (game: ReferentialGame, rotationTask: RotationTask?) {
        switch game.kind {
        case .attributes:
            let attributeGame = try AttributeGame(attributes: game.objects.attributes, holdout: game.objects.holdout,
                                                  candidates: game.candidates, distance: eval.distance,
                                                  random: firstSplit ? root.split(1) : root)
            return (attributeGame, nil)
        case .images:
            let imageGame: ImageGame
            do {
                imageGame = try makeImageGame()
            } catch let error as VisualEncoderFileError {
                throw ConfigurationError("agents.visual.weights: \(error)")
            }
            let side = agents.rotationTask
            guard side != .none else { return (imageGame, nil) }
            let settings = agentSettings, sender = side == .sender
            let task = RotationTask(side: side, listeners: population.listeners, hidden: settings.hidden, capacity: train.batch,
                                    optimizer: settings.optimizer, random: sender ? root.split(4) : rankStream.split(34))
            imageGame.rotationTask = task
            return (imageGame, task)
        }
    }

    private func makeImageGame() throws -> ImageGame {
        let loaded = try game.images.loadDataset()
        let batch = train.batch, evalImages = eval.images, visualWidths = agents.visual.widths
        guard loaded.train.count >= batch else {
            throw ConfigurationError("train.batch: the image game's batch is a scene of distinct training images; expected at most \(loaded.train.count) (the data set's training images), got \(batch)")
        }
        guard min(loaded.test.count, evalImages) >= batch else {
            throw ConfigurationError("eval.images: evaluation plays scenes of train.batch (\(batch)) held-out images; the data set holds \(loaded.test.count) and eval.images is \(evalImages)")
        }
        // Each block halves the image with a 2 × 2 max-pool, which needs at least 2 × 2.
        var side = min(loaded.height, loaded.width), blocks = 0
        while side >= 2 { side /= 2; blocks += 1 }
        guard visualWidths.count <= blocks else {
            throw ConfigurationError("agents.visual.widths: \(visualWidths.count) blocks of 2 × 2 max-pooling do not fit \(loaded.height) × \(loaded.width) images; expected at most \(blocks) widths")
        }
        if game.images.augmentRotation != .none && loaded.height != loaded.width {
            throw ConfigurationError("game.augment.rotation: rotations keep an image's shape only when it is square; the data set's images are \(loaded.height) × \(loaded.width)")
        }
        let imageGame = ImageGame(dataset: loaded, candidates: game.candidates, sceneSize: batch,
                                  scenesPerTable: population.crossRank > 0 ? 2 : 1, encoder: agents.visual.encoderSettings,
                                  evaluatedImages: evalImages, distance: eval.distance, seed: UInt64(seed),
                                  senderAugmentation: game.images.senderAugmentation)
        try imageGame.checkEncoder(hidden: agents.hidden)
        return imageGame
    }
}
