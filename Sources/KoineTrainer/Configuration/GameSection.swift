import KoineGame

/// The games a configuration can play; `GameFactory` makes each.
public enum GameKind: String, CaseIterable {
    case attributes
    case images
    case reconstruction
}

/// The `game` section: which game is played, the keys every game reads (its
/// candidates and the messages of its channel), and each game's own keys
/// apart, so that a game's keys live with it.
public struct GameSection {
    public var kind = GameKind.attributes
    public var candidates = 0
    public var vocabulary = 0
    public var messageLength = 0
    public var variableLength = false
    /// The attribute game's keys.
    public var objects = Objects()
    /// The image game's keys.
    public var images = Images()

    /// The attribute game's objects: tuples of attribute values.
    public struct Objects {
        public var attributes: [Int] = []
        public var holdout = 0
    }

    /// The image game's data set and the sender's view of its images.
    public struct Images {
        public var dataset = ImageDatasetKind.shapes
        public var datasetPath = ""
        public var shapesTrain = 0
        public var shapesTest = 0
        public var augmentNoise = 0.0
        public var augmentRotation = ImageAugmentation.Rotation.none

        /// The sender's augmented view, as the image game applies it.
        public var senderAugmentation: ImageAugmentation {
            ImageAugmentation(noise: Float(augmentNoise), rotation: augmentRotation)
        }

        /// The image game's data set; a missing or malformed one is a
        /// `ConfigurationError` naming `game.dataset_path`. The shapes are drawn
        /// from a fixed seed: every run plays the same data set.
        public func loadDataset() throws -> ImageDataset {
            let options = ImageDatasetOptions(seed: 1, shapesTrain: shapesTrain, shapesTest: shapesTest)
            do {
                return try ImageDataset.load(kind: dataset, path: datasetPath.isEmpty ? nil : datasetPath, options: options)
            } catch {
                throw ConfigurationError("game.dataset_path: \(error)")
            }
        }
    }
}
