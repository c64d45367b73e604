/// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 60,000 training and 10,000 test
/// 28 × 28 greyscale images of clothing in 10 classes, as IDX files, by default
/// where Debian's `dataset-fashion-mnist` package puts them (gzipped there;
/// plain files are read too).
public enum FashionMNIST {
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    public static func load(path: String = defaultDirectory) throws(ImageDatasetError) -> (train: ImageSet, test: ImageSet) {
        guard DatasetFiles.isDirectory(path) else {
            throw .missing(path: path, expected: "the Fashion-MNIST IDX files (apt-get install dataset-fashion-mnist)")
        }
        return (try split(path, images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte"),
                try split(path, images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte"))
    }

    static func split(_ directory: String, images imagesName: String, labels labelsName: String) throws(ImageDatasetError) -> ImageSet {
        let images = try IDXFile(path: file(directory, imagesName), dimensions: 3, expected: "Fashion-MNIST images")
        let labelsPath = file(directory, labelsName)
        let labels = try IDXFile(path: labelsPath, dimensions: 1, expected: "Fashion-MNIST labels")
        let (count, height, width) = (images.shape[0], images.shape[1], images.shape[2])
        guard labels.shape[0] == count else {
            throw .malformed(path: labelsPath, expected: "\(count) labels, one per image", found: "\(labels.shape[0])")
        }
        guard count > 0 && height > 0 && width > 0 else {
            throw .malformed(path: file(directory, imagesName), expected: "at least one image", found: "shape \(images.shape)")
        }
        let values = labels.bytes[labels.offset...].map(Int.init)
        if let bad = values.firstIndex(where: { $0 >= classNames.count }) {
            throw .malformed(path: labelsPath, expected: "labels 0 to 9", found: "label \(values[bad]) at \(bad)")
        }
        try DatasetLimits.checkSet(count: count, channels: 1, height: height, width: width, path: file(directory, imagesName))
        let planeSize = height * width
        var pixels = [Float](repeating: 0, count: count * planeSize)
        images.bytes.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { destination in
                PixelBytes.convert(source.baseAddress! + images.offset, layout: .planar, channels: 1,
                                   planeSize: count * planeSize, into: destination.baseAddress!)
            }
        }
        return ImageSet(channels: 1, height: height, width: width, pixels: pixels, labels: values, classNames: classNames)
    }

    /// `name` in `directory`, plain if there, else gzipped (the path named when neither is).
    static func file(_ directory: String, _ name: String) -> String {
        let plain = directory + "/" + name
        return DatasetFiles.isFile(plain) ? plain : plain + ".gz"
    }
}
