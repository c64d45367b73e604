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
        case .reconstruction:
            try refuseKeys(Self.unusedByReconstruction)
            if agents.listenerLoss == .hinge {
                throw ConfigurationError("agents.listener_loss: the reconstruction game's listener learns by cross-entropy over each attribute's values; expected cross_entropy, got hinge")
            }
            let reconstructionGame = try ReconstructionGame(attributes: game.objects.attributes, holdout: game.objects.holdout,
                                                            distance: eval.distance, random: firstSplit ? root.split(1) : root)
            return (reconstructionGame, nil)
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

    /// Keys (or sections) the reconstruction game has no use for, and why:
    /// its listener names the target's attributes, so there are no
    /// candidates, and its fresh listeners learn by cross-entropy, choosing
    /// nothing; its objects are attribute tuples, not images.
    static let unusedByReconstruction: [(key: String, reason: String)] = [
        ("game.candidates", "the listener names the target's attributes and chooses among no candidates"),
        ("eval.ease_of_teaching.choices", "fresh listeners name attributes, learning by cross-entropy, and choose nothing"),
        ("eval.ease_of_teaching.entropy", "fresh listeners learn by cross-entropy, without an entropy bonus"),
    ] + ["game.dataset", "game.dataset_path", "game.shapes", "agents.visual", "eval.images"].map {
        ($0, "its objects are game.attributes' tuples, not images")
    }

    /// Refuses, in one line naming it, the first key under one of `unused`'s
    /// paths that is not at its default (config.yaml writes every key at its
    /// default, so a default is no request).
    private func refuseKeys(_ unused: [(key: String, reason: String)]) throws {
        for (path, reason) in unused {
            for key in Configuration.keys where key.path == path || key.path.hasPrefix(path + ".") {
                guard key.get(self) != key.defaultValue else { continue }
                throw ConfigurationError("\(key.path): game.kind \(game.kind.rawValue) has no use for it: \(reason); remove the key (got \(ConfigurationError.shown(key.get(self).text)))")
            }
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
