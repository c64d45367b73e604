/// The data sets the image game can play on (`game.dataset`).
public enum ImageDatasetKind: String, CaseIterable {
    /// Procedural coloured shapes with their attributes; needs no files.
    case shapes
    /// An image-folder tree of PNG and JPEG files.
    case folder
    /// CIFAR-10's official binary batches.
    case cifar10
    /// Fashion-MNIST's IDX files.
    case fashionMNIST = "fashion-mnist"
}

/// What a data set is made or read with, beyond its path.
public struct ImageDatasetOptions: Equatable {
    /// Seeds `shapes`.
    public var seed: UInt64
    /// `shapes`: the side of its square images and the size of each split.
    public var shapesSide: Int
    public var shapesTrain: Int
    public var shapesTest: Int
    /// `folder`: the size every image must have (nil: the first image's), and
    /// 1 (grey) or 3 (RGB) channels to convert them to.
    public var height: Int?
    public var width: Int?
    public var channels: Int
    /// `folder` without train/ and test/: every this-many-th image of each class
    /// (the last of each run, in name order) is held out for testing.
    public var holdoutEvery: Int

    public init(seed: UInt64 = 1, shapesSide: Int = 32, shapesTrain: Int = 10_000, shapesTest: Int = 2_000,
                height: Int? = nil, width: Int? = nil, channels: Int = 3, holdoutEvery: Int = 10) {
        self.seed = seed
        self.shapesSide = shapesSide
        self.shapesTrain = shapesTrain
        self.shapesTest = shapesTest
        self.height = height
        self.width = width
        self.channels = channels
        self.holdoutEvery = holdoutEvery
    }
}

/// A data set decoded once: a training split and a held-out test split with the
/// same image size and classes.
public struct ImageDataset {
    public let kind: ImageDatasetKind
    /// Where it was read from (nil for `shapes`).
    public let path: String?
    public let train: ImageSet
    public let test: ImageSet

    public var classNames: [String] { train.classNames }

    /// The training images followed by the test images, as one set: what an
    /// encoder that plays or is scored on both splits reads.
    public var trainThenTest: ImageSet {
        ImageSet(channels: channels, height: height, width: width, pixels: train.pixels + test.pixels,
                 labels: train.labels + test.labels, classNames: classNames,
                 attributes: train.attributes.flatMap { train in
                     test.attributes.map { ImageAttributes(names: train.names, valueNames: train.valueNames, values: train.values + $0.values) }
                 })
    }
    public var channels: Int { train.channels }
    public var height: Int { train.height }
    public var width: Int { train.width }

    /// Loads `kind` from `path` (`fashion-mnist` defaults to Debian's directory;
    /// `folder` and `cifar10` need one; `shapes` reads nothing). Every missing or
    /// malformed input is one `ImageDatasetError`.
    public static func load(kind: ImageDatasetKind, path: String? = nil,
                            options: ImageDatasetOptions = ImageDatasetOptions()) throws(ImageDatasetError) -> ImageDataset {
        let splits: (train: ImageSet, test: ImageSet)
        switch kind {
        case .shapes:
            precondition(options.shapesSide >= ShapeRenderer.minimumSide && options.shapesTrain >= 0 && options.shapesTest >= 0)
            splits = ShapesDataset.make(side: options.shapesSide, train: options.shapesTrain, test: options.shapesTest,
                                        seed: options.seed)
        case .folder:
            splits = try folder(try required(path, "an image-folder tree root/<class>/*.png|jpg"), options: options)
        case .cifar10:
            splits = try CIFAR10.load(path: try required(path, "the CIFAR-10 binary directory \(CIFAR10.directoryName)/"))
        case .fashionMNIST:
            splits = try FashionMNIST.load(path: path ?? FashionMNIST.defaultDirectory)
        }
        return ImageDataset(kind: kind, path: kind == .shapes ? nil : path ?? FashionMNIST.defaultDirectory,
                            train: splits.train, test: splits.test)
    }

    private static func required(_ path: String?, _ expected: String) throws(ImageDatasetError) -> String {
        guard let path, !path.isEmpty else { throw .missing(path: "(no path given)", expected: expected) }
        return path
    }

    /// `root/train/` and `root/test/` when both are there (CIFAR-10's JPEG copy
    /// is laid out so); otherwise one tree with every `holdoutEvery`-th image of
    /// each class held out.
    static func folder(_ root: String, options: ImageDatasetOptions) throws(ImageDatasetError) -> (train: ImageSet, test: ImageSet) {
        if DatasetFiles.isDirectory(root + "/train") && DatasetFiles.isDirectory(root + "/test") {
            let train = try ImageFolder.load(root: root + "/train", channels: options.channels,
                                             height: options.height, width: options.width)
            let test = try ImageFolder.load(root: root + "/test", channels: options.channels, height: train.height,
                                            width: train.width, classNames: train.classNames)
            return (train, test)
        }
        precondition(options.holdoutEvery >= 2, "holding out every image leaves nothing to train on")
        let all = try ImageFolder.load(root: root, channels: options.channels, height: options.height, width: options.width)
        var positions = [Int](repeating: 0, count: all.classNames.count)
        var heldOut = [Bool](repeating: false, count: all.count)
        for index in 0..<all.count {
            positions[all.labels[index]] += 1
            heldOut[index] = positions[all.labels[index]] % options.holdoutEvery == 0
        }
        return (all.subset(heldOut.indices.filter { !heldOut[$0] }), all.subset(heldOut.indices.filter { heldOut[$0] }))
    }
}
