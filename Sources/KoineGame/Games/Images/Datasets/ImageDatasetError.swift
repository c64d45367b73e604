/// Why an image data set could not be loaded: one line naming the path and what
/// was expected there, which the command layer prints before exiting with 2.
public enum ImageDatasetError: Error, Equatable, CustomStringConvertible {
    /// Nothing at `path`, where `expected` should be.
    case missing(path: String, expected: String)
    /// Something at `path` that is not what `expected` describes.
    case malformed(path: String, expected: String, found: String)
    /// An image whose size is not the data set's.
    case wrongImageSize(path: String, expected: String, found: String)
    /// A class directory with no image in it.
    case emptyClass(path: String)

    public var path: String {
        switch self {
        case .missing(let path, _), .malformed(let path, _, _), .wrongImageSize(let path, _, _), .emptyClass(let path):
            return path
        }
    }

    /// The message without the path in front: for callers that name the file their own way.
    public var detail: String {
        let text = description
        return text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text
    }

    public var description: String {
        let text: String
        switch self {
        case .missing(let path, let expected):
            text = "\(path): not found (expected \(expected))"
        case .malformed(let path, let expected, let found):
            text = "\(path): expected \(expected), found \(found)"
        case .wrongImageSize(let path, let expected, let found):
            text = "\(path): expected a \(expected) image like the rest of the data set, found \(found)"
        case .emptyClass(let path):
            text = "\(path): expected at least one .png or .jpg image in this class directory, found none"
        }
        // One line, whatever a file name or a library's message holds.
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
