import Foundation
import KoineGame

/// A lower bound on the memory one rank's population takes, from the
/// configuration alone, so that a size the machine cannot hold is refused
/// before anything is allocated (an allocation that large would end the
/// process). It counts only the biggest buffers — parameters with their
/// gradients and optimizer state, the per-game activations of every agent,
/// the object space and its encodings, and the pairs topographic similarity
/// ranks — in floating point, so no size overflows.
struct MemoryEstimate {
    let bytes: Double

    init(_ configuration: Configuration) {
        let c = configuration, attributes = c.game.objects.attributes
        let h = Double(c.agents.hidden), v = Double(c.game.vocabulary), length = Double(c.game.messageLength)
        let batch = Double(c.train.batch), candidates = Double(c.game.candidates)
        let objects = MemoryEstimate.objects(attributes)
        let width = attributes.reduce(0.0) { $0 + Double($1) }
        // Gate blocks of the recurrent cell; values, gradients and optimizer moments per parameter.
        let gates = c.agents.cell == .lstm ? 4.0 : 3.0
        let copies = c.train.optimizer == .adam ? 4.0 : 3.0
        let recurrent = gates * h * 2 * h
        let speakerParameters = (v + 1) * h + recurrent + h * v
        let listenerParameters = v * h + recurrent + h * h
        let encoderParameters = width * h
        // Every game of a batch keeps its gate pre-activations, hidden state and
        // gradient at the message's last step at least, plus its logits or scores.
        let speakerActivations = batch * ((gates + 2) * h * length + 2 * v * length)
        let listenerActivations = batch * ((gates + 2) * h + 2 * h + 3 * candidates)
        let speakers = Double(c.population.speakers), listeners = Double(c.population.listeners)
        let encoders = c.agents.encoder == .shared ? 1 : speakers + listeners
        let floats = speakers * (copies * speakerParameters + speakerActivations)
            + listeners * (copies * listenerParameters + listenerActivations)
            + encoders * (copies * encoderParameters + 2 * objects * h)
            + objects * width
        // The object space's value table (one Int per attribute and object) and
        // topsim's two distances per pair of objects (Doubles).
        let other = objects * Double(attributes.count) * 8 + objects * (objects - 1) / 2 * 16
        bytes = (floats + (c.game.kind == .images ? MemoryEstimate.visualFloats(c) : 0)) * 4 + other
    }

    /// The image game's visual encoders and data set, as Float32 values: the
    /// convolutional stacks' parameters (with gradients and optimizer moments
    /// when they learn), one batch of images' activations through every
    /// convolution, the decoded images and, for frozen stacks, the cached features.
    static func visualFloats(_ c: Configuration) -> Double {
        let dataset = c.game.images.dataset, visual = c.agents.visual
        let channels = dataset == .fashionMNIST ? 1.0 : 3.0
        // The side is the data set's (folders are at least 28 pixels here: a lower bound).
        let side = dataset == .fashionMNIST ? 28.0 : 32.0
        let images: Double
        switch dataset {
        case .shapes: images = Double(c.game.images.shapesTrain) + Double(c.game.images.shapesTest)
        case .cifar10: images = 60_000
        case .fashionMNIST: images = 70_000
        case .folder: images = 0
        }
        var parameters = 0.0, activations = 0.0
        var input = channels, spatial = side * side
        for width in visual.widths.map(Double.init) {
            for _ in 0..<max(visual.convolutions, 1) {
                parameters += 9 * input * width + 3 * width
                // Pre-activation, activation and gradient of each pixel of each channel.
                activations += 3 * width * spatial
                input = width
            }
            spatial = max((spatial / 4).rounded(.down), 1)
        }
        let learned = visual.mode == .learned
        let copies = learned ? (c.train.optimizer == .adam ? 4.0 : 3.0) : 1.0
        let stacks = c.agents.encoder == .shared ? 1 : Double(c.population.speakers + c.population.listeners)
        let features = learned ? 0 : images * (visual.widths.last.map(Double.init) ?? 0)
        return stacks * (copies * parameters + (learned ? Double(c.train.batch) * activations : 0) + features)
            + images * channels * side * side
    }

    /// Objects in the space: the product of the attribute sizes, never overflowing.
    static func objects(_ attributes: [Int]) -> Double {
        attributes.reduce(1.0) { $0 * Double($1) }
    }

    /// The memory this process may use: physical memory, or the cgroup's limit when lower.
    static var physical: Double { MemoryLimit.available }

    /// A one-line problem when the estimate exceeds `available` bytes.
    func problem(_ configuration: Configuration, source: String, available: Double = MemoryEstimate.physical) -> String? {
        guard bytes > available else { return nil }
        let c = configuration
        return "\(source): this population needs at least \(MemoryEstimate.format(bytes)) of memory per rank but this process may use \(MemoryEstimate.format(available)) "
            + "(agents.hidden \(c.agents.hidden), game.vocab \(c.game.vocabulary), \(Self.format(count: MemoryEstimate.objects(c.game.objects.attributes))) objects, "
            + "\(c.population.speakers) speakers and \(c.population.listeners) listeners of train.batch \(c.train.batch)"
            + (c.game.kind == .images ? ", agents.visual.widths \(c.agents.visual.widths)" : "") + "); make them smaller"
    }

    static func format(_ bytes: Double) -> String { MemoryLimit.format(bytes) }

    static func format(count: Double) -> String {
        count < 1e15 ? String(Int(count)) : String(format: "%.3g", count)
    }
}
