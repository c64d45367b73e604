/// Owns the working buffers of a model: activations, caches, scratch. Every
/// buffer is allocated once, zeroed, 64-byte aligned and freed with the arena,
/// so a training step never touches the heap.
public final class Arena {
    private var blocks: [UnsafeMutableRawPointer] = []
    public private(set) var bytes = 0
    /// With a workspace, buffer k is the workspace's block k, shared with
    /// every arena on it; its contents are what the last user left, so only
    /// a model that leaves its buffers as it found them (each turn whole)
    /// may use one. `bytes` counts the arena's own blocks alone.
    private let workspace: Workspace?
    private var buffers = 0

    public init() { workspace = nil }

    /// An arena whose buffers are `workspace`'s blocks, in the order asked for.
    public init(workspace: Workspace) { self.workspace = workspace }

    deinit {
        for block in blocks { free(block) }
    }

    private func allocate(bytes count: Int) -> UnsafeMutableRawPointer {
        var pointer: UnsafeMutableRawPointer?
        let size = max(count, 64)
        defer { buffers += 1 }
        if let shared = workspace?.block(buffers, bytes: size) { return shared }
        guard posix_memalign(&pointer, 64, size) == 0, let pointer else {
            fatalError("out of memory allocating \(size) bytes")
        }
        memset(pointer, 0, size)
        blocks.append(pointer)
        bytes += size
        return pointer
    }

    public func matrix(rows: Int, columns: Int) -> Matrix {
        let pointer = allocate(bytes: rows * columns * MemoryLayout<Float>.stride)
        return Matrix(pointer.bindMemory(to: Float.self, capacity: rows * columns), rows: rows, columns: columns)
    }

    public func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        allocate(bytes: count * MemoryLayout<Float>.stride).bindMemory(to: Float.self, capacity: count)
    }

    public func indices(_ count: Int) -> Indices {
        let pointer = allocate(bytes: count * MemoryLayout<Int32>.stride)
        return Indices(pointer.bindMemory(to: Int32.self, capacity: count), count: count)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
