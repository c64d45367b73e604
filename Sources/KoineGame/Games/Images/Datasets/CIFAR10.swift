/// CIFAR-10 in its official binary layout (Krizhevsky 2009): a directory
/// `cifar-10-batches-bin/` of `data_batch_1.bin` … `data_batch_5.bin` (training)
/// and `test_batch.bin`, each a run of 3,073-byte records — one label byte, then
/// a 32 × 32 image as its red, green and blue planes.
public enum CIFAR10 {
    public static let directoryName = "cifar-10-batches-bin"
    public static let trainingFiles = (1...5).map { "data_batch_\($0).bin" }
    public static let testFile = "test_batch.bin"
    /// The official names (the order of `batches.meta.txt`).
    public static let classNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    public static let side = 32
    public static let recordLength = 1 + 3 * side * side

    /// The batches at `path`: the `cifar-10-batches-bin` directory itself or the one that holds it.
    public static func load(path: String) throws(ImageDatasetError) -> (train: ImageSet, test: ImageSet) {
        let directory = DatasetFiles.isDirectory(path + "/" + directoryName) ? path + "/" + directoryName : path
        guard DatasetFiles.isDirectory(directory) else {
            throw .missing(path: path, expected: "the CIFAR-10 binary directory \(directoryName)/")
        }
        let train = try batches(trainingFiles.map { directory + "/" + $0 })
        let test = try batches([directory + "/" + testFile])
        return (train, test)
    }

    /// The records of `files`, one after another, in one image set.
    static func batches(_ files: [String]) throws(ImageDatasetError) -> ImageSet {
        var contents: [[UInt8]] = []
        for file in files {
            let bytes = try DatasetFiles.read(file, expected: "a CIFAR-10 binary batch of \(recordLength)-byte records")
            guard !bytes.isEmpty && bytes.count % recordLength == 0 else {
                throw .malformed(path: file, expected: "a whole number of \(recordLength)-byte records",
                                 found: "\(bytes.count) bytes")
            }
            contents.append(bytes)
        }
        let count = contents.reduce(0) { $0 + $1.count / recordLength }
        try DatasetLimits.checkSet(count: count, channels: 3, height: side, width: side, path: files[0])
        let planeSize = side * side
        var pixels = [Float](repeating: 0, count: count * 3 * planeSize)
        var labels: [Int] = []
        labels.reserveCapacity(count)
        for (file, bytes) in zip(files, contents) {
            for record in 0..<bytes.count / recordLength {
                let label = Int(bytes[record * recordLength])
                guard label < classNames.count else {
                    throw .malformed(path: file, expected: "labels 0 to 9", found: "label \(label) in record \(record)")
                }
                let index = labels.count
                labels.append(label)
                bytes.withUnsafeBufferPointer { source in
                    pixels.withUnsafeMutableBufferPointer { destination in
                        PixelBytes.convert(source.baseAddress! + record * recordLength + 1, layout: .planar, channels: 3,
                                           planeSize: planeSize, into: destination.baseAddress! + index * 3 * planeSize)
                    }
                }
            }
        }
        return ImageSet(channels: 3, height: side, width: side, pixels: pixels, labels: labels, classNames: classNames)
    }
}
