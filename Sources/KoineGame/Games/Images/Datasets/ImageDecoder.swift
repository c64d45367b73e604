import CImageCodecs

/// PNG and JPEG files decoded with libpng and libjpeg-turbo, told apart by their
/// signature rather than their name.
enum ImageDecoder {
    enum Outcome: Equatable {
        case decoded
        /// A valid image of another size.
        case wrongSize(height: Int, width: Int)
    }

    /// Decodes `bytes` (the file at `path`) into `pixels`, height × width ×
    /// channels bytes, interleaved; grey or colour files are converted to `channels`.
    static func decode(_ bytes: [UInt8], path: String, channels: Int, height: Int, width: Int,
                       into pixels: UnsafeMutablePointer<UInt8>) throws(ImageDatasetError) -> Outcome {
        var message = [CChar](repeating: 0, count: 256)
        var foundHeight = Int32(height), foundWidth = Int32(width)
        let status: Int32 = bytes.withUnsafeBufferPointer { data in
            message.withUnsafeMutableBufferPointer { text in
                if isPNG(data) {
                    return koine_decode_png(data.baseAddress, data.count, Int32(channels), &foundHeight, &foundWidth,
                                            pixels, text.baseAddress, text.count)
                }
                if isJPEG(data) {
                    return koine_decode_jpeg(data.baseAddress, data.count, Int32(channels), &foundHeight, &foundWidth,
                                             pixels, text.baseAddress, text.count)
                }
                return unknownSignature
            }
        }
        switch status {
        case KOINE_IMAGE_OK:
            return .decoded
        case KOINE_IMAGE_WRONG_SIZE:
            return .wrongSize(height: Int(foundHeight), width: Int(foundWidth))
        case unknownSignature:
            throw .malformed(path: path, expected: "a PNG or JPEG image", found: "neither signature")
        default:
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw .malformed(path: path, expected: "a PNG or JPEG image", found: reason.isEmpty ? "undecodable data" : reason)
        }
    }

    private static let unknownSignature: Int32 = -2

    private static func isPNG(_ data: UnsafeBufferPointer<UInt8>) -> Bool {
        data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    private static func isJPEG(_ data: UnsafeBufferPointer<UInt8>) -> Bool {
        data.starts(with: [0xFF, 0xD8, 0xFF])
    }
}
