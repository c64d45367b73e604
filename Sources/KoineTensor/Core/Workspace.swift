#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Working memory that several models use in turn, never at once: the k-th
/// buffer any arena on the workspace asks for is one block, the same for
/// every such arena (see `Arena(workspace:)`). A population's listeners each
/// finish their turn (listen, learn, update) before the next begins, so one
/// set of activations, caches and gradients serves them all and stays in
/// cache from one listener to the next, where ten private sets would cycle
/// through the last-level cache every step.
public final class Workspace {
    private var blocks: [(pointer: UnsafeMutableRawPointer, bytes: Int)] = []

    public init() {}

    deinit {
        for block in blocks { free(block.pointer) }
    }

    /// Bytes of the blocks held.
    public var bytes: Int { blocks.reduce(0) { $0 + $1.bytes } }

    /// Block `index`, made (zeroed, 64-byte aligned) by the first arena that
    /// asks; nil when it was made with another size, and the asking arena
    /// then allocates its own. Arenas ask in order, so a new block is always
    /// the next one.
    func block(_ index: Int, bytes: Int) -> UnsafeMutableRawPointer? {
        if index < blocks.count { return blocks[index].bytes == bytes ? blocks[index].pointer : nil }
        var pointer: UnsafeMutableRawPointer?
        guard posix_memalign(&pointer, 64, bytes) == 0, let pointer else {
            fatalError("out of memory allocating \(bytes) bytes")
        }
        memset(pointer, 0, bytes)
        blocks.append((pointer, bytes))
        return pointer
    }
}
