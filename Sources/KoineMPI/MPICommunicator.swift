import CMPI
import Foundation
import KoineCluster

/// The ranks of an `mpirun` job, over Open MPI's `MPI_COMM_WORLD`.
///
/// MPI is initialised FUNNELED (only the main thread calls MPI) and
/// `MPI_ERRORS_RETURN` is set on the world communicator, so a failed call
/// becomes a thrown `ClusterError` carrying MPI's error string instead of an
/// instant, unexplained exit. MPI can be initialised once per process, so
/// every instance shares that one initialisation.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public let hostName: String
    public var peerTimeout: Double?

    private let world: MPI_Comm
    /// A copy of the world for the questions ranks ask each other when a wait
    /// runs long ("are you there?"), apart from the training's own messages.
    private var liveness: MPI_Comm?
    /// Every rank's host, for naming a peer that stops answering.
    private var hosts: [String] = []
    /// The requests and statuses of one point-to-point exchange, allocated once
    /// so waiting on them allocates nothing.
    private let requests = UnsafeMutablePointer<MPI_Request?>.allocate(capacity: 2)
    private let statuses = UnsafeMutablePointer<MPI_Status>.allocate(capacity: 2)

    /// Initialises MPI if this process has not yet done so.
    public init() throws {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized != 0 { throw ClusterError.finalized(operation: "MPI_Init_thread") }

        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            var provided: Int32 = 0
            let code = MPI_Init_thread(nil, nil, koine_mpi_thread_funneled(), &provided)
            guard code == koine_mpi_success() else {
                throw ClusterError.mpi(operation: "MPI_Init_thread", code: code, message: MPICommunicator.errorString(code))
            }
        }
        world = koine_mpi_comm_world()
        try MPICommunicator.check(MPI_Comm_set_errhandler(world, koine_mpi_errors_return()), "MPI_Comm_set_errhandler")

        var rank: Int32 = 0, size: Int32 = 0
        try MPICommunicator.check(MPI_Comm_rank(world, &rank), "MPI_Comm_rank")
        try MPICommunicator.check(MPI_Comm_size(world, &size), "MPI_Comm_size")
        self.rank = Int(rank)
        self.size = Int(size)

        var name = [CChar](repeating: 0, count: Int(koine_mpi_max_processor_name()) + 1)
        var length: Int32 = 0
        try MPICommunicator.check(MPI_Get_processor_name(&name, &length), "MPI_Get_processor_name")
        hostName = String(decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        requests.initialize(repeating: koine_mpi_request_null(), count: 2)
        statuses.initialize(repeating: MPI_Status(), count: 2)
        hosts = try gatherStrings(hostName)
        var copy: MPI_Comm? = nil
        try MPICommunicator.check(MPI_Comm_dup(world, &copy), "MPI_Comm_dup")
        liveness = copy
    }

    deinit {
        requests.deallocate()
        statuses.deallocate()
    }

    // MARK: Reductions

    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        try allreduce(buffer, count, koine_mpi_float(), koine_mpi_sum())
    }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {
        try allreduce(buffer, count, koine_mpi_double(), koine_mpi_sum())
    }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws {
        try allreduce(buffer, count, koine_mpi_int64(), koine_mpi_sum())
    }
    public func allreduceMin(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {
        try allreduce(buffer, count, koine_mpi_double(), koine_mpi_min())
    }
    public func allreduceMax(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {
        try allreduce(buffer, count, koine_mpi_double(), koine_mpi_max())
    }
    public func allreduceMin(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws {
        try allreduce(buffer, count, koine_mpi_int64(), koine_mpi_min())
    }
    public func allreduceMax(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws {
        try allreduce(buffer, count, koine_mpi_int64(), koine_mpi_max())
    }

    public func allreduceAverage(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        try allreduce(buffer, count, koine_mpi_float(), koine_mpi_sum())
        let scale = 1 / Float(size)
        for index in 0..<count { buffer[index] *= scale }
    }

    public func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws -> ReductionHandle {
        try start(buffer, count: count, scale: 1)
    }

    public func startAllreduceAverage(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws -> ReductionHandle {
        try start(buffer, count: count, scale: 1 / Float(size))
    }

    public func wait(_ handle: inout ReductionHandle) throws {
        guard !handle.isCompleted else { return }
        if handle.request != nil {
            requests[0] = handle.request
            handle.request = nil
            try complete(1, "\(handle.what) (MPI_Iallreduce)")
        }
        handle.finish()
    }

    public func test(_ handle: inout ReductionHandle) throws -> Bool {
        guard !handle.isCompleted else { return true }
        if handle.request != nil {
            var request: MPI_Request? = handle.request
            var flag: Int32 = 0
            let code = MPI_Test(&request, &flag, koine_mpi_status_ignore())
            handle.request = request
            try check(code, "MPI_Test")
            if flag == 0 { return false }
            handle.request = nil
        }
        handle.finish()
        return true
    }

    // MARK: Broadcast

    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws {
        try checkRank(root, "MPI_Bcast")
        // MPI counts are 32-bit: larger buffers go out in chunks.
        var offset = 0
        while offset < bytes {
            let chunk = min(bytes - offset, MPICommunicator.maximumCount)
            try check(MPI_Ibcast(buffer + offset, Int32(chunk), koine_mpi_byte(), Int32(root), world, requests), "MPI_Ibcast")
            try complete(1, "a broadcast from rank \(root) (MPI_Ibcast)", peer: rank == root ? nil : root)
            offset += chunk
        }
    }

    // MARK: Point to point

    public func send(_ buffer: UnsafePointer<Float>, count: Int, to peer: Int, tag: Int) throws {
        try send(UnsafeRawPointer(buffer), count, koine_mpi_float(), peer, tag)
    }
    public func send(_ buffer: UnsafePointer<Int32>, count: Int, to peer: Int, tag: Int) throws {
        try send(UnsafeRawPointer(buffer), count, koine_mpi_int32(), peer, tag)
    }
    public func receive(_ buffer: UnsafeMutablePointer<Float>, count: Int, from peer: Int, tag: Int) throws {
        try receive(UnsafeMutableRawPointer(buffer), count, koine_mpi_float(), peer, tag)
    }
    public func receive(_ buffer: UnsafeMutablePointer<Int32>, count: Int, from peer: Int, tag: Int) throws {
        try receive(UnsafeMutableRawPointer(buffer), count, koine_mpi_int32(), peer, tag)
    }

    public func sendReceive(
        _ sendBuffer: UnsafePointer<Float>, sendCount: Int, to destination: Int,
        _ receiveBuffer: UnsafeMutablePointer<Float>, receiveCount: Int, from source: Int,
        tag: Int
    ) throws {
        try sendReceive(UnsafeRawPointer(sendBuffer), sendCount, destination,
                        UnsafeMutableRawPointer(receiveBuffer), receiveCount, source, tag, koine_mpi_float())
    }

    public func sendReceive(
        _ sendBuffer: UnsafePointer<Int32>, sendCount: Int, to destination: Int,
        _ receiveBuffer: UnsafeMutablePointer<Int32>, receiveCount: Int, from source: Int,
        tag: Int
    ) throws {
        try sendReceive(UnsafeRawPointer(sendBuffer), sendCount, destination,
                        UnsafeMutableRawPointer(receiveBuffer), receiveCount, source, tag, koine_mpi_int32())
    }

    // MARK: Job control

    public func barrier() throws {
        try check(MPI_Ibarrier(world, requests), "MPI_Ibarrier")
        try complete(1, "a barrier (MPI_Ibarrier)")
    }

    public func gatherStrings(_ string: String) throws -> [String] {
        // Lengths first, so every rank can size the receive buffer and offsets.
        let bytes = Array(string.utf8)
        var length = Int32(bytes.count)
        var lengths = [Int32](repeating: 0, count: size)
        try check(MPI_Iallgather(&length, 1, koine_mpi_int32(), &lengths, 1, koine_mpi_int32(), world, requests), "MPI_Iallgather")
        try complete(1, "a gather (MPI_Iallgather)")
        var offsets = [Int32](repeating: 0, count: size)
        var total: Int32 = 0
        for index in 0..<size {
            offsets[index] = total
            total += lengths[index]
        }
        var gathered = [UInt8](repeating: 0, count: max(Int(total), 1))
        let code = bytes.withUnsafeBytes { sendBytes in
            MPI_Iallgatherv(sendBytes.baseAddress, length, koine_mpi_byte(),
                            &gathered, lengths, offsets, koine_mpi_byte(), world, requests)
        }
        try check(code, "MPI_Iallgatherv")
        try complete(1, "a gather (MPI_Iallgatherv)")
        return (0..<size).map { index in
            let start = Int(offsets[index])
            return String(decoding: gathered[start..<start + Int(lengths[index])], as: UTF8.self)
        }
    }

    public func stayReachable(for seconds: Double) {
        let deadline = MPICommunicator.now() + seconds
        while MPICommunicator.now() < deadline {
            answerLivenessQuestions()
            usleep(10_000)
        }
    }

    public func abort(code: Int32) -> Never {
        fflush(stdout)
        fflush(stderr)
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Abort(world, code) }
        // MPI_Abort does not return; should it ever, end this rank regardless.
        exit(code)
    }

    public func finalize() throws {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized != 0 { return }
        try check(MPI_Finalize(), "MPI_Finalize")
    }

    // MARK: Helpers

    /// The largest element count one MPI call takes (its counts are `int`).
    static let maximumCount = Int(Int32.max)

    private func allreduce<Element>(
        _ buffer: UnsafeMutablePointer<Element>, _ count: Int, _ type: MPI_Datatype?, _ op: MPI_Op?
    ) throws {
        var offset = 0
        while offset < count {
            let chunk = min(count - offset, MPICommunicator.maximumCount)
            try check(MPI_Iallreduce(koine_mpi_in_place(), buffer + offset, Int32(chunk), type, op, world, requests),
                      "MPI_Iallreduce")
            try complete(1, "an all-reduce (MPI_Iallreduce)")
            offset += chunk
        }
    }

    private func start(_ buffer: UnsafeMutablePointer<Float>, count: Int, scale: Float) throws -> ReductionHandle {
        guard count <= MPICommunicator.maximumCount else {
            throw ClusterError.failed("MPI_Iallreduce: \(count) elements exceed one request's limit; split the buffer into buckets")
        }
        var request: MPI_Request? = koine_mpi_request_null()
        try check(MPI_Iallreduce(koine_mpi_in_place(), buffer, Int32(count), koine_mpi_float(), koine_mpi_sum(), world, &request),
                  "MPI_Iallreduce")
        return ReductionHandle(request: request, buffer: buffer, count: count, scale: scale)
    }

    private func send(_ buffer: UnsafeRawPointer, _ count: Int, _ type: MPI_Datatype?, _ peer: Int, _ tag: Int) throws {
        try checkRank(peer, "MPI_Send")
        try checkCount(count, "MPI_Send")
        try check(MPI_Isend(buffer, Int32(count), type, Int32(peer), Int32(tag), world, requests), "MPI_Isend")
        try complete(1, "a send (MPI_Isend)", peer: peer)
    }

    private func receive(_ buffer: UnsafeMutableRawPointer, _ count: Int, _ type: MPI_Datatype?, _ peer: Int, _ tag: Int) throws {
        try checkRank(peer, "MPI_Recv")
        try checkCount(count, "MPI_Recv")
        try check(MPI_Irecv(buffer, Int32(count), type, Int32(peer), Int32(tag), world, requests), "MPI_Irecv")
        try complete(1, "a receive (MPI_Irecv)", peer: peer)
        try checkReceived(&statuses[0], type, expected: count, "MPI_Recv")
    }

    private func sendReceive(
        _ sendBuffer: UnsafeRawPointer, _ sendCount: Int, _ destination: Int,
        _ receiveBuffer: UnsafeMutableRawPointer, _ receiveCount: Int, _ source: Int,
        _ tag: Int, _ type: MPI_Datatype?
    ) throws {
        try checkRank(destination, "MPI_Sendrecv")
        try checkRank(source, "MPI_Sendrecv")
        try checkCount(sendCount, "MPI_Sendrecv")
        try checkCount(receiveCount, "MPI_Sendrecv")
        // A receive and a send in flight together cannot deadlock around a ring.
        try check(MPI_Irecv(receiveBuffer, Int32(receiveCount), type, Int32(source), Int32(tag), world, requests), "MPI_Irecv")
        try check(MPI_Isend(sendBuffer, Int32(sendCount), type, Int32(destination), Int32(tag), world, requests + 1), "MPI_Isend")
        try complete(2, "the cross-rank exchange (MPI_Irecv/MPI_Isend)", peer: source)
        try checkReceived(&statuses[0], type, expected: receiveCount, "MPI_Sendrecv")
    }

    /// Completes the first `count` of `requests` (their statuses in
    /// `statuses`). With a peer timeout it polls, and past the deadline
    /// throws, naming the ranks that do not answer when asked (the one other
    /// rank, of two), else `peer` where one rank was awaited.
    private func complete(_ count: Int32, _ operation: @autoclosure () -> String, peer: Int? = nil) throws {
        guard let timeout = peerTimeout else {
            try check(MPI_Waitall(count, requests, statuses), "MPI_Waitall")
            return
        }
        let started = MPICommunicator.now()
        let deadline = started + timeout
        var done: Int32 = 0
        var polls = 0
        while true {
            try check(MPI_Testall(count, requests, &done, statuses), "MPI_Testall")
            if done != 0 { return }
            polls += 1
            // The clock every 64 polls: a poll is well under a microsecond.
            guard polls & 63 == 0 else { continue }
            let now = MPICommunicator.now()
            // A wait this long may be a rank asking who is still there: answer.
            if now > started + 1 { answerLivenessQuestions() }
            if now > deadline {
                // The awaited peer may itself be waiting on the one that is gone: ask everyone.
                let silent = size == 2 ? [1 - rank] : silentRanks()
                throw ClusterError.peerTimeout(operation: operation(), seconds: timeout,
                                               peers: describe(silent.isEmpty ? (peer.map { [$0] } ?? []) : silent))
            }
        }
    }

    // MARK: Who is silent

    private static let askTag: Int32 = 1, answerTag: Int32 = 2

    /// "rank 3 on node04", "rank 1 on node02, rank 2 on node02", or "the other ranks".
    private func describe(_ silent: [Int]) -> String {
        guard !silent.isEmpty else { return "the other ranks" }
        let named = silent.prefix(4).map { "rank \($0) on \($0 < hosts.count ? hosts[$0] : "?")" }.joined(separator: ", ")
        return named + (silent.count > 4 ? " and \(silent.count - 4) more" : "")
    }

    /// Answers every rank that asked whether this one is still there.
    private func answerLivenessQuestions() {
        guard let liveness else { return }
        var flag: Int32 = 0
        var status = MPI_Status()
        while MPI_Iprobe(koine_mpi_any_source(), MPICommunicator.askTag, liveness, &flag, &status) == koine_mpi_success(),
              flag != 0 {
            var question: Int32 = 0
            guard MPI_Recv(&question, 1, koine_mpi_int32(), status.MPI_SOURCE, MPICommunicator.askTag, liveness,
                           koine_mpi_status_ignore()) == koine_mpi_success() else { return }
            post(question, to: status.MPI_SOURCE, tag: MPICommunicator.answerTag, on: liveness)
        }
    }

    /// Sends one number on the liveness channel without waiting for delivery: the
    /// peer may be gone. The buffer must outlive the request, so a few bytes per
    /// message, sent only when a job is already failing, are left to the exit.
    private func post(_ value: Int32, to peer: Int32, tag: Int32, on liveness: MPI_Comm) {
        let buffer = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        buffer.pointee = value
        var request: MPI_Request? = koine_mpi_request_null()
        if MPI_Isend(buffer, 1, koine_mpi_int32(), peer, tag, liveness, &request) == koine_mpi_success() {
            MPI_Request_free(&request)
        }
    }

    /// Asks every other rank whether it is there, answering others' questions
    /// meanwhile, and returns the ranks that did not answer within a few
    /// seconds: the lost or stalled ones. Healthy ranks answer, being stuck in
    /// the same wait; empty when all answered (or the question could not go out).
    private func silentRanks() -> [Int] {
        guard let liveness, size > 1 else { return [] }
        for other in 0..<size where other != rank { post(Int32(rank), to: Int32(other), tag: MPICommunicator.askTag, on: liveness) }
        var answered = Set<Int>()
        let deadline = MPICommunicator.now() + 3
        var flag: Int32 = 0
        var status = MPI_Status()
        while answered.count < size - 1 && MPICommunicator.now() < deadline {
            answerLivenessQuestions()
            if MPI_Iprobe(koine_mpi_any_source(), MPICommunicator.answerTag, liveness, &flag, &status) == koine_mpi_success(),
               flag != 0 {
                var answer: Int32 = 0
                if MPI_Recv(&answer, 1, koine_mpi_int32(), status.MPI_SOURCE, MPICommunicator.answerTag, liveness,
                            koine_mpi_status_ignore()) == koine_mpi_success() {
                    answered.insert(Int(status.MPI_SOURCE))
                }
            } else {
                usleep(1_000)
            }
        }
        return (0..<size).filter { $0 != rank && !answered.contains($0) }
    }

    /// Seconds on a monotonic clock.
    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// A shorter message than expected is a protocol bug between ranks: say so.
    private func checkReceived(_ status: inout MPI_Status, _ type: MPI_Datatype?, expected: Int, _ operation: StaticString) throws {
        var received: Int32 = 0
        try check(MPI_Get_count(&status, type, &received), "MPI_Get_count")
        if Int(received) != expected {
            throw ClusterError.countMismatch(operation: "\(operation)", expected: expected, received: Int(received))
        }
    }

    private func checkRank(_ peer: Int, _ operation: StaticString) throws {
        if peer < 0 || peer >= size { throw ClusterError.invalidRank(operation: "\(operation)", rank: peer, size: size) }
    }

    private func checkCount(_ count: Int, _ operation: StaticString) throws {
        if count < 0 || count > MPICommunicator.maximumCount {
            throw ClusterError.failed("\(operation): count \(count) is outside 0...\(MPICommunicator.maximumCount)")
        }
    }

    private func check(_ code: Int32, _ operation: StaticString) throws {
        try MPICommunicator.check(code, operation)
    }

    private static func check(_ code: Int32, _ operation: StaticString) throws {
        if code != koine_mpi_success() {
            throw ClusterError.mpi(operation: "\(operation)", code: code, message: errorString(code))
        }
    }

    /// MPI's own words for an error code.
    static func errorString(_ code: Int32) -> String {
        var text = [CChar](repeating: 0, count: Int(koine_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        guard MPI_Error_string(code, &text, &length) == koine_mpi_success() else { return "unknown MPI error" }
        return String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension MPICommunicator {
    /// The first line of the MPI library's version string (e.g. "Open MPI
    /// v4.1.4, ..."); callable before MPI is initialised.
    public static var libraryVersion: String {
        var text = [CChar](repeating: 0, count: 8192)
        var length: Int32 = 0
        guard MPI_Get_library_version(&text, &length) == koine_mpi_success() else { return "unknown MPI library" }
        let version = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let firstLine = version.split(separator: "\n").first.map(String.init) ?? version
        // "Open MPI v4.1.4, package: ..., ident: ...": the name and version are enough.
        return (firstLine.split(separator: ",").first.map(String.init) ?? firstLine).trimmingCharacters(in: .whitespaces)
    }
}
