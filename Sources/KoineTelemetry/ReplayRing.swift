/// The most recent frames a publisher sent, kept so they can be sent again after a reconnect.
///
/// ZeroMQ queues messages while the collector is away, but the frames that were already
/// in the kernel's socket buffer or in a collector that was killed are gone. Resending
/// the recent past on reconnection closes that hole; the collector ignores the
/// duplicates (events are unique by run, rank and seq).
struct ReplayRing {
    private var slots: [[UInt8]]
    private var next = 0
    private(set) var count = 0

    init(capacity: Int) {
        slots = Array(repeating: [], count: max(capacity, 0))
    }

    var capacity: Int { slots.count }

    /// Copies `frame` over the oldest slot, reusing that slot's storage.
    mutating func record(_ frame: UnsafeRawBufferPointer) {
        guard !slots.isEmpty else { return }
        slots[next].removeAll(keepingCapacity: true)
        slots[next].append(contentsOf: frame)
        next = (next + 1) % slots.count
        count = min(count + 1, slots.count)
    }

    /// Visits the newest `count` frames (at most all kept), oldest of them first.
    func forEachNewest(_ count: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        let count = min(count, self.count)
        guard count > 0 else { return }
        let start = (next - count + slots.count) % slots.count
        for offset in 0..<count {
            slots[(start + offset) % slots.count].withUnsafeBytes { body($0) }
        }
    }

    /// Visits the kept frames oldest first until `body` returns false.
    func forEachOldestFirst(_ body: (UnsafeRawBufferPointer) -> Bool) {
        guard count > 0 else { return }
        let start = (next - count + slots.count) % slots.count
        for offset in 0..<count {
            let keepGoing = slots[(start + offset) % slots.count].withUnsafeBytes { body($0) }
            if !keepGoing { return }
        }
    }
}
