import Foundation

/// A job of one rank, without MPI: what `koine train` uses when it is not
/// started by `mpirun`, and what the trainer's unit tests use.
///
/// Reductions and broadcasts are identities, a `sendReceive` to itself copies,
/// and `send` to itself queues the message in a mailbox for a later `receive`.
public final class SingleProcessCommunicator: Communicator {
    public let rank = 0
    public let size = 1
    public let hostName: String
    /// Unused: a single process never waits for another.
    public var peerTimeout: Double?

    /// Messages sent to self and not yet received, per tag, oldest first.
    private var mailbox: [Int: [[UInt8]]] = [:]
    private var isFinalized = false

    public init() {
        hostName = HostName.full
    }

    // MARK: Reductions: with one rank, the reduced value is the value.

    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws { try check("allreduce", count) }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws { try check("allreduce", count) }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws { try check("allreduce", count) }
    public func allreduceMin(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws { try check("allreduce", count) }
    public func allreduceMax(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws { try check("allreduce", count) }
    public func allreduceMin(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws { try check("allreduce", count) }
    public func allreduceMax(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws { try check("allreduce", count) }
    public func allreduceAverage(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws { try check("allreduce", count) }

    public func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws -> ReductionHandle {
        try check("start allreduce", count)
        return ReductionHandle(request: nil, buffer: buffer, count: count, scale: 1)
    }

    public func startAllreduceAverage(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws -> ReductionHandle {
        try check("start allreduce", count)
        return ReductionHandle(request: nil, buffer: buffer, count: count, scale: 1)
    }

    public func wait(_ handle: inout ReductionHandle) throws {
        try check("wait", 0)
        handle.finish()
    }

    public func test(_ handle: inout ReductionHandle) throws -> Bool {
        try wait(&handle)
        return true
    }

    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws {
        try check("broadcast", bytes)
        try checkPeer("broadcast", root)
    }

    // MARK: Point to point, through the mailbox

    public func send(_ buffer: UnsafePointer<Float>, count: Int, to peer: Int, tag: Int) throws {
        try post(UnsafeRawPointer(buffer), bytes: count * MemoryLayout<Float>.stride, to: peer, tag: tag)
    }

    public func send(_ buffer: UnsafePointer<Int32>, count: Int, to peer: Int, tag: Int) throws {
        try post(UnsafeRawPointer(buffer), bytes: count * MemoryLayout<Int32>.stride, to: peer, tag: tag)
    }

    public func receive(_ buffer: UnsafeMutablePointer<Float>, count: Int, from peer: Int, tag: Int) throws {
        try take(UnsafeMutableRawPointer(buffer), count: count, stride: MemoryLayout<Float>.stride, from: peer, tag: tag)
    }

    public func receive(_ buffer: UnsafeMutablePointer<Int32>, count: Int, from peer: Int, tag: Int) throws {
        try take(UnsafeMutableRawPointer(buffer), count: count, stride: MemoryLayout<Int32>.stride, from: peer, tag: tag)
    }

    public func sendReceive(
        _ sendBuffer: UnsafePointer<Float>, sendCount: Int, to destination: Int,
        _ receiveBuffer: UnsafeMutablePointer<Float>, receiveCount: Int, from source: Int,
        tag: Int
    ) throws {
        try exchange(UnsafeRawPointer(sendBuffer), sendCount, destination,
                     UnsafeMutableRawPointer(receiveBuffer), receiveCount, source,
                     stride: MemoryLayout<Float>.stride)
    }

    public func sendReceive(
        _ sendBuffer: UnsafePointer<Int32>, sendCount: Int, to destination: Int,
        _ receiveBuffer: UnsafeMutablePointer<Int32>, receiveCount: Int, from source: Int,
        tag: Int
    ) throws {
        try exchange(UnsafeRawPointer(sendBuffer), sendCount, destination,
                     UnsafeMutableRawPointer(receiveBuffer), receiveCount, source,
                     stride: MemoryLayout<Int32>.stride)
    }

    // MARK: Job control

    public func barrier() throws { try check("barrier", 0) }

    public func gatherStrings(_ string: String) throws -> [String] {
        try check("gather", 0)
        return [string]
    }

    public func stayReachable(for seconds: Double) { usleep(useconds_t(seconds * 1_000_000)) }

    public func abort(code: Int32) -> Never {
        fflush(stdout)
        exit(code)
    }

    public func finalize() throws {
        isFinalized = true
        mailbox.removeAll()
    }

    // MARK: Helpers

    private func check(_ operation: String, _ count: Int) throws {
        if isFinalized { throw ClusterError.finalized(operation: operation) }
        if count < 0 { throw ClusterError.failed("\(operation): negative count \(count)") }
    }

    private func checkPeer(_ operation: String, _ peer: Int) throws {
        if peer != 0 { throw ClusterError.invalidRank(operation: operation, rank: peer, size: 1) }
    }

    private func post(_ buffer: UnsafeRawPointer, bytes: Int, to peer: Int, tag: Int) throws {
        try check("send", bytes)
        try checkPeer("send", peer)
        mailbox[tag, default: []].append(Array(UnsafeRawBufferPointer(start: buffer, count: bytes)))
    }

    private func take(_ buffer: UnsafeMutableRawPointer, count: Int, stride: Int, from peer: Int, tag: Int) throws {
        try check("receive", count)
        try checkPeer("receive", peer)
        guard var queue = mailbox[tag], !queue.isEmpty else {
            throw ClusterError.noMessage(from: peer, tag: tag)
        }
        let message = queue.removeFirst()
        mailbox[tag] = queue.isEmpty ? nil : queue
        guard message.count == count * stride else {
            throw ClusterError.countMismatch(operation: "receive", expected: count, received: message.count / stride)
        }
        message.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress, bytes.count > 0 { buffer.copyMemory(from: base, byteCount: bytes.count) }
        }
    }

    private func exchange(
        _ sendBuffer: UnsafeRawPointer, _ sendCount: Int, _ destination: Int,
        _ receiveBuffer: UnsafeMutableRawPointer, _ receiveCount: Int, _ source: Int, stride: Int
    ) throws {
        try check("sendReceive", sendCount)
        try checkPeer("sendReceive", destination)
        try checkPeer("sendReceive", source)
        guard sendCount == receiveCount else {
            throw ClusterError.countMismatch(operation: "sendReceive", expected: receiveCount, received: sendCount)
        }
        // memmove: the two buffers may be the same one.
        receiveBuffer.copyMemory(from: sendBuffer, byteCount: sendCount * stride)
    }
}
