import KoineTensor

/// How the visual encoder's convolutional stack is trained (Mihai & Hare's three modes).
public enum VisualEncoderMode: String, CaseIterable {
    /// Trained end to end: every step runs the stack forward and backward.
    case learned
    /// Random and frozen: the stack's features of every image are computed once
    /// and cached, so a step is a row lookup; only the final linear map learns.
    case frozenRandom = "frozen_random"
    /// Weights loaded from a file (`VisualEncoderFile`), then frozen and cached
    /// as `frozenRandom`; only the final linear map learns.
    case pretrained
}

/// The shape of the convolutional stack: what its parameter and statistic
/// counts depend on. The image's height and width are not part of it (global
/// average pooling makes the weights fit any size the blocks can pool).
public struct VisualStackLayout: Equatable, CustomStringConvertible {
    public var inputChannels: Int
    /// Output channels of each block; one 2 × 2 max-pool per block.
    public var widths: [Int]
    public var convolutionsPerBlock: Int
    public var batchNorm: Bool

    public init(inputChannels: Int, widths: [Int], convolutionsPerBlock: Int, batchNorm: Bool) {
        precondition(inputChannels > 0 && !widths.isEmpty && widths.allSatisfy { $0 > 0 } && convolutionsPerBlock > 0,
                     "visual stack: \(inputChannels) input channels, widths \(widths), \(convolutionsPerBlock) convolutions per block")
        self.inputChannels = inputChannels
        self.widths = widths
        self.convolutionsPerBlock = convolutionsPerBlock
        self.batchNorm = batchNorm
    }

    /// Channels of the pooled features the stack ends in.
    public var featureWidth: Int { widths[widths.count - 1] }

    /// Input and output channels of every convolution, in order.
    public var convolutions: [(input: Int, output: Int)] {
        var result: [(input: Int, output: Int)] = []
        var channels = inputChannels
        for width in widths {
            for _ in 0..<convolutionsPerBlock {
                result.append((channels, width))
                channels = width
            }
        }
        return result
    }

    /// No convolution bias under batch norm: the normalisation removes it.
    public var parameterCount: Int {
        convolutions.reduce(0) { total, convolution in
            total + Conv2D.parameterCount(inputChannels: convolution.input, outputChannels: convolution.output, kernel: 3, bias: !batchNorm)
                + (batchNorm ? BatchNorm.parameterCount(channels: convolution.output) : 0)
        }
    }

    public var statisticCount: Int {
        batchNorm ? convolutions.reduce(0) { $0 + BatchNorm.statisticCount(channels: $1.output) } : 0
    }

    public var description: String {
        "\(inputChannels) input channels, widths \(widths), \(convolutionsPerBlock) convolutions per block, batch norm \(batchNorm ? "on" : "off")"
    }
}

/// Everything the visual encoder's shape and training depend on.
public struct VisualEncoderSettings {
    public var mode: VisualEncoderMode
    public var widths: [Int]
    public var convolutionsPerBlock: Int
    public var batchNorm: Bool
    /// The weights file, for `pretrained`.
    public var pretrainedPath: String?

    public init(mode: VisualEncoderMode = .learned, widths: [Int] = [32, 64, 128], convolutionsPerBlock: Int = 2,
                batchNorm: Bool = true, pretrainedPath: String? = nil) {
        self.mode = mode
        self.widths = widths
        self.convolutionsPerBlock = convolutionsPerBlock
        self.batchNorm = batchNorm
        self.pretrainedPath = pretrainedPath
    }

    public func layout(inputChannels: Int) -> VisualStackLayout {
        VisualStackLayout(inputChannels: inputChannels, widths: widths, convolutionsPerBlock: convolutionsPerBlock, batchNorm: batchNorm)
    }
}
