import Foundation

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
        let c = configuration
        let h = Double(c.hidden), v = Double(c.vocabulary), length = Double(c.messageLength)
        let batch = Double(c.batch), candidates = Double(c.candidates)
        let objects = MemoryEstimate.objects(c.attributes)
        let width = c.attributes.reduce(0.0) { $0 + Double($1) }
        // Gate blocks of the recurrent cell; values, gradients and optimizer moments per parameter.
        let gates = c.cell == .lstm ? 4.0 : 3.0
        let copies = c.optimizer == .adam ? 4.0 : 3.0
        let recurrent = gates * h * 2 * h
        let speakerParameters = (v + 1) * h + recurrent + h * v
        let listenerParameters = v * h + recurrent + h * h
        let encoderParameters = width * h
        // Every game of a batch keeps its gate pre-activations, hidden state and
        // gradient at the message's last step at least, plus its logits or scores.
        let speakerActivations = batch * ((gates + 2) * h * length + 2 * v * length)
        let listenerActivations = batch * ((gates + 2) * h + 2 * h + 3 * candidates)
        let encoders = c.encoder == .shared ? 1 : Double(c.speakers + c.listeners)
        let floats = Double(c.speakers) * (copies * speakerParameters + speakerActivations)
            + Double(c.listeners) * (copies * listenerParameters + listenerActivations)
            + encoders * (copies * encoderParameters + 2 * objects * h)
            + objects * width
        // The object space's value table (one Int per attribute and object) and
        // topsim's two distances per pair of objects (Doubles).
        let other = objects * Double(c.attributes.count) * 8 + objects * (objects - 1) / 2 * 16
        bytes = floats * 4 + other
    }

    /// Objects in the space: the product of the attribute sizes, never overflowing.
    static func objects(_ attributes: [Int]) -> Double {
        attributes.reduce(1.0) { $0 * Double($1) }
    }

    /// This machine's physical memory in bytes.
    static var physical: Double { Double(ProcessInfo.processInfo.physicalMemory) }

    /// A one-line problem when the estimate exceeds `available` bytes.
    func problem(_ configuration: Configuration, source: String, available: Double = MemoryEstimate.physical) -> String? {
        guard bytes > available else { return nil }
        let c = configuration
        return "\(source): this population needs at least \(MemoryEstimate.format(bytes)) of memory per rank but the machine has \(MemoryEstimate.format(available)) "
            + "(agents.hidden \(c.hidden), game.vocab \(c.vocabulary), \(Self.format(count: MemoryEstimate.objects(c.attributes))) objects, "
            + "\(c.speakers) speakers and \(c.listeners) listeners of train.batch \(c.batch)); make them smaller"
    }

    static func format(_ bytes: Double) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = bytes, unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(Int(value)) bytes" }
        // Past exbibytes (a product of absurd sizes) the figure stays short.
        return String(format: value < 10 ? "%.1f" : value < 10_000 ? "%.0f" : "%.3g", value) + " " + units[unit]
    }

    static func format(count: Double) -> String {
        count < 1e15 ? String(Int(count)) : String(format: "%.3g", count)
    }
}
