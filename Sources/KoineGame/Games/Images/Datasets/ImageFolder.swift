/// An image-folder tree, `root/<class>/*.png|jpg|jpeg`, the layout most labs keep
/// their data in: classes are the subdirectories sorted by name, images the
/// files sorted by name within each, decoded with libpng and libjpeg-turbo.
public enum ImageFolder {
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Every image of the tree at `root`, converted to `channels` (1 grey, 3 RGB).
    /// All must be height × width; nil takes the first image's size.
    /// `classNames`, when given, are the classes the tree must have (a test split's).
    public static func load(root: String, channels: Int, height: Int? = nil, width: Int? = nil,
                            classNames expectedClasses: [String]? = nil) throws(ImageDatasetError) -> ImageSet {
        precondition(channels == 1 || channels == 3)
        let layout = "class directories \(root)/<class>/ holding .png or .jpg images"
        let classNames = try DatasetFiles.entries(of: root, expected: layout).filter { DatasetFiles.isDirectory(root + "/" + $0) }
        guard !classNames.isEmpty else { throw .malformed(path: root, expected: layout, found: "no directory") }
        if let expectedClasses, classNames != expectedClasses {
            throw .malformed(path: root, expected: "the classes \(expectedClasses.joined(separator: ", "))",
                             found: classNames.joined(separator: ", "))
        }
        var files: [String] = [], labels: [Int] = []
        for (label, name) in classNames.enumerated() {
            let directory = root + "/" + name
            let images = try DatasetFiles.entries(of: directory, expected: "a class directory")
                .filter { extensions.contains(($0.split(separator: ".").last ?? "").lowercased()) }
            guard !images.isEmpty else { throw .emptyClass(path: directory) }
            files += images.map { directory + "/" + $0 }
            labels += Array(repeating: label, count: images.count)
        }

        let first = try DatasetFiles.read(files[0], expected: "a PNG or JPEG image", limit: DatasetLimits.imageFileBytes)
        let (height, width) = try size(height: height, width: width, of: first, path: files[0], channels: channels)
        // The size comes from the first file's header (or the configuration): checked before anything that large is allocated.
        guard height > 0, width > 0, let pixelCount = DatasetLimits.product([height, width]), pixelCount <= DatasetLimits.imagePixels else {
            throw .malformed(path: files[0], expected: "an image of at most \(DatasetLimits.imagePixels) pixels (4096×4096)",
                             found: "\(height)×\(width)")
        }
        try DatasetLimits.checkSet(count: files.count, channels: channels, height: height, width: width, path: root)
        let planeSize = height * width
        let length = channels * planeSize
        var pixels = [Float](repeating: 0, count: files.count * length)
        var decoded = [UInt8](repeating: 0, count: length)
        for (index, path) in files.enumerated() {
            let bytes = index == 0 ? first : try DatasetFiles.read(path, expected: "a PNG or JPEG image", limit: DatasetLimits.imageFileBytes)
            let outcome = try decoded.withUnsafeMutableBufferPointer { buffer throws(ImageDatasetError) in
                try ImageDecoder.decode(bytes, path: path, channels: channels, height: height, width: width, into: buffer.baseAddress!)
            }
            if case .wrongSize(let foundHeight, let foundWidth) = outcome {
                throw .wrongImageSize(path: path, expected: "\(height)×\(width)", found: "\(foundHeight)×\(foundWidth)")
            }
            decoded.withUnsafeBufferPointer { source in
                pixels.withUnsafeMutableBufferPointer { destination in
                    PixelBytes.convert(source.baseAddress!, layout: .interleaved, channels: channels, planeSize: planeSize,
                                       into: destination.baseAddress! + index * length)
                }
            }
        }
        return ImageSet(channels: channels, height: height, width: width, pixels: pixels, labels: labels, classNames: classNames)
    }

    /// The size asked for, or the first image's when none is.
    private static func size(height: Int?, width: Int?, of bytes: [UInt8], path: String,
                             channels: Int) throws(ImageDatasetError) -> (Int, Int) {
        if let height, let width { return (height, width) }
        // Asking for 0 × 0 makes the decoder stop at the header and report the size.
        var scratch: UInt8 = 0
        let outcome = try ImageDecoder.decode(bytes, path: path, channels: channels, height: 0, width: 0, into: &scratch)
        guard case .wrongSize(let foundHeight, let foundWidth) = outcome else {
            throw .malformed(path: path, expected: "an image", found: "an image of no pixels")
        }
        return (height ?? foundHeight, width ?? foundWidth)
    }
}
