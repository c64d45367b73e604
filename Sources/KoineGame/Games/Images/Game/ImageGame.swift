import Foundation
import KoineTensor

/// The image referential game of Havrylov & Titov (2017) as Mihai & Hare
/// (2019) play it: each step draws a scene of `sceneSize` distinct training
/// images (the batch); every image of the scene is the target of one game and
/// the listener picks it among `candidates` images of the same scene (all of
/// them, the target and 127 distractors, in their setting). Objects are the
/// training images (ids `0..<trainingCount`) followed by the held-out ones,
/// which evaluation plays in fixed scenes (`evaluationImages`).
public final class ImageGame: ReferentialGame, SceneSource {
    /// Training images, then held-out images: what the encoders see. The game
    /// keeps this one copy, not the data set's two splits beside it.
    public let images: ImageSet
    public let trainingCount: Int
    public let candidates: Int
    /// Images per step's scene: the batch, every one a target once.
    public let sceneSize: Int
    /// Scenes an encoder's table holds: 2 when some games are played by
    /// another rank's listeners, which encode that rank's scene beside their own.
    public let scenesPerTable: Int
    /// Seeds the scenes (with the rank and the step).
    public let seed: UInt64
    public let encoderSettings: VisualEncoderSettings
    /// What the sender sees of its scene: an augmented copy of each image
    /// (Mihai & Hare), appended to the encoder's table; the listeners and the
    /// candidates keep the images as they are.
    public let senderAugmentation: ImageAugmentation
    /// Mihai & Hare's rotation-prediction task, when the population plays it:
    /// evaluation reports its heads' accuracy on held-out images.
    public var rotationTask: RotationTask?
    /// The held-out images evaluation plays, as object ids, in the order of
    /// its scenes: a fixed shuffle of the test split (data sets are often
    /// stored class by class, and a scene of one class would make the class
    /// measures meaningless), the same for every run, cut to whole scenes.
    public let evaluationImages: [Int]
    /// Meaning distance of topsim over ground-truth attributes (`shapes`).
    public let distance: MeaningDistance
    let sampler: GameSampler
    /// `stamp[id] == drawn` marks images already in the scene being drawn.
    var stamp: [Int]
    var drawn = 0

    public var objectCount: Int { images.count }

    public init(dataset: ImageDataset, candidates: Int, sceneSize: Int, scenesPerTable: Int = 1, encoder: VisualEncoderSettings,
                evaluatedImages: Int, distance: MeaningDistance, seed: UInt64, senderAugmentation: ImageAugmentation = ImageAugmentation()) {
        precondition(candidates >= 2 && candidates <= sceneSize && sceneSize <= dataset.train.count,
                     "image game: \(candidates) candidates in scenes of \(sceneSize) from \(dataset.train.count) images")
        images = dataset.trainThenTest
        trainingCount = dataset.train.count
        self.candidates = candidates
        self.sceneSize = sceneSize
        self.scenesPerTable = scenesPerTable
        self.seed = seed
        encoderSettings = encoder
        self.senderAugmentation = senderAugmentation
        var order = Array(0..<dataset.test.count)
        var shuffle = Random(seed: 0x4556_414C)   // "EVAL": not the run's seed, so every run plays the same scenes
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, shuffle.nextInt(below: i + 1)) }
        let scenes = min(evaluatedImages, dataset.test.count) / sceneSize
        evaluationImages = order.prefix(scenes * sceneSize).map { dataset.train.count + $0 }
        self.distance = distance
        sampler = GameSampler(targets: Array(0..<sceneSize), distractors: Array(0..<sceneSize), candidates: candidates)
        stamp = [Int](repeating: -1, count: dataset.train.count)
    }

    /// `sceneSize` distinct training images, uniformly.
    public func drawScene(step: Int, rank: Int, into scene: Indices) {
        precondition(scene.count == sceneSize, "image game: a scene holds \(sceneSize) images")
        var random = Random(seed: seed).split(0x5343_454E_45, UInt64(rank), UInt64(step))   // "SCENE"
        drawn += 1
        var filled = 0
        while filled < sceneSize {
            let image = random.nextInt(below: trainingCount)
            if stamp[image] == drawn { continue }
            stamp[image] = drawn
            scene[filled] = image
            filled += 1
        }
    }

    /// Game b's target is the scene's image b; its candidates are the whole
    /// scene in order, or with fewer candidates, distinct images of it shuffled.
    public func sample(into batch: GameBatch, random: inout Random) {
        precondition(batch.size <= sceneSize)
        for game in 0..<batch.size { fill(game: game, batch: batch, random: &random) }
    }

    func fill(game: Int, batch: GameBatch, random: inout Random) {
        guard candidates == sceneSize else {
            sampler.fill(game: game, target: Int32(game), batch: batch, random: &random)
            return
        }
        batch.targets[game] = game
        batch.targetPositions[game] = game
        let row = batch.candidates.base + game * candidates
        for k in 0..<candidates { row[k] = Int32(k) }
    }

    /// Its objects are a data set's images: games are played over scenes.
    public var scenes: SceneSource? { self }

    /// Whether the sender reads augmented copies of its scene.
    public var augmentsSender: Bool { !senderAugmentation.isIdentity }

    public func addSenderView(to encoder: ObjectEncoder, step: Int, rank: Int) -> Int {
        var random = Random(seed: seed).split(0x4155_474D_454E_54, UInt64(rank), UInt64(step))   // "AUGMENT"
        return addSenderView(to: encoder, random: &random)
    }

    /// The augmented copies of the table's first `sceneSize` rows, as the
    /// table's last; returns their first row (0 when nothing is augmented).
    func addSenderView(to encoder: ObjectEncoder, random: inout Random) -> Int {
        encoder.appendSenderView(random: &random)
    }

    public func makeEncoder(hidden: Int, optimizer: OptimizerSettings, random: Random) -> ObjectEncoder {
        // The settings were checked when the game was made (see `checkEncoder`); a weights
        // file removed or damaged since is the environment failing: one line, exit 1, no trap.
        do {
            return try makeVisualEncoder(hidden: hidden, optimizer: optimizer, random: random)
        } catch {
            FileHandle.standardError.write(Data("koine: \(error)\n".utf8))
            exit(1)
        }
    }

    /// A visual encoder for this game's images; `pretrained` reads its weights file.
    public func makeVisualEncoder(hidden: Int, optimizer: OptimizerSettings, random: Random) throws -> VisualEncoder {
        let augmented = augmentsSender ? sceneSize : 0
        return try VisualEncoder(images: images, settings: encoderSettings, hidden: hidden, maxBatch: sceneSize * scenesPerTable + augmented,
                                 optimizer: optimizer, initializer: random, standardizeOver: trainingCount, augmentedCapacity: augmented,
                                 senderView: augmentsSender ? senderAugmentation : nil)
    }

    /// Throws the weights file's problem, if any, before a population is built.
    public func checkEncoder(hidden: Int) throws {
        guard encoderSettings.mode == .pretrained else { return }
        let path = encoderSettings.pretrainedPath ?? "", layout = encoderSettings.layout(inputChannels: images.channels)
        guard !path.isEmpty else { throw VisualEncoderFileError(path: "(none)", problem: "the pretrained mode needs a weights file") }
        let file = try VisualEncoderFile.read(from: path)
        guard file.layout == layout else {
            throw VisualEncoderFileError(path: path, problem: "holds a stack of \(file.layout), the encoder is configured for \(layout)")
        }
    }

    /// The lexicon's `object`-th image: the `object`-th held-out image evaluation plays.
    public func describe(object: Int) -> String {
        let id = evaluationImages[object]
        let label = images.classNames[images.labels[id]]
        guard let attributes = images.attributes else { return label }
        let values = attributes.values(of: id)
        return attributes.names.indices.map { "\(attributes.names[$0])=\(attributes.valueNames[$0][values[$0]])" }
            .joined(separator: ",")
    }

    public var descriptionColumn: String { images.attributes == nil ? "class" : "attributes" }

    public func classLabel(of object: Int) -> Int? { images.labels[object] }

    /// The held-out scenes, as ranges of `evaluationImages`.
    var evaluationScenes: [Range<Int>] {
        stride(from: 0, to: evaluationImages.count, by: sceneSize).map { $0..<$0 + sceneSize }
    }
}
