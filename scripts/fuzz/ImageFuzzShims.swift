// What the image parsers use of KoineTensor, for scripts/fuzz-images, which
// compiles the parsers without the numeric modules: the weights file's
// checksum and the stack's parameter counts, by the formulas of
// KoineTensor's Checksum, Conv2D and BatchNorm.
enum Checksum {
    static func fnv1a(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
        bytes.reduce(seed) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }
}

enum Conv2D {
    static func parameterCount(inputChannels: Int, outputChannels: Int, kernel: Int, bias: Bool = true) -> Int {
        kernel * kernel * inputChannels * outputChannels + (bias ? outputChannels : 0)
    }
}

enum BatchNorm {
    static func parameterCount(channels: Int) -> Int { 2 * channels }
    static func statisticCount(channels: Int) -> Int { 2 * channels }
}
