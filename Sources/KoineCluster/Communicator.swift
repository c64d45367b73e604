import Foundation

/// The ranks of one job and the collective and point-to-point operations the
/// trainer needs, independent of MPI so nearly everything runs in one process.
///
/// Every call is made from one thread (MPI is initialised FUNNELED). The buffer
/// calls take raw pointers and allocate nothing, so they can sit in the
/// per-step hot path. Collective calls must be made by every rank in the same
/// order; point-to-point calls pair by (peer, tag).
public protocol Communicator: AnyObject {
    /// This process's rank, `0..<size`.
    var rank: Int { get }
    /// How many ranks the job has.
    var size: Int { get }
    /// The host this rank runs on (MPI's processor name).
    var hostName: String { get }
    /// Seconds any call may wait for other ranks before it throws
    /// `ClusterError.peerTimeout`; nil waits forever. The trainer sets it once
    /// its step loop starts: before, ranks may legitimately wait on each other
    /// for long (loading and caching a data set).
    var peerTimeout: Double? { get set }

    // MARK: Reductions, in place

    func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
    func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws
    func allreduceSum(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws
    func allreduceMin(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws
    func allreduceMax(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws
    func allreduceMin(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws
    func allreduceMax(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws
    /// The sum divided by `size`: how a shared gradient is averaged.
    func allreduceAverage(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws

    // MARK: Nonblocking reductions, so backward work can overlap them

    /// Starts an in-place sum; the buffer must not be touched until `wait`.
    func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws -> ReductionHandle
    /// Starts an in-place average (sum, then scaled by 1/size inside `wait`).
    func startAllreduceAverage(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws -> ReductionHandle
    /// Completes a started reduction; waiting twice on one handle is a no-op.
    func wait(_ handle: inout ReductionHandle) throws
    /// Whether a started reduction has finished (then it is completed, as by
    /// `wait`). Open MPI advances nonblocking collectives only inside MPI
    /// calls, so calling this between pieces of backward work is what makes
    /// the reduction actually overlap them.
    func test(_ handle: inout ReductionHandle) throws -> Bool

    // MARK: Broadcast

    /// Copies `bytes` bytes from `root`'s buffer into every other rank's.
    func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws

    // MARK: Point to point

    func send(_ buffer: UnsafePointer<Float>, count: Int, to peer: Int, tag: Int) throws
    func send(_ buffer: UnsafePointer<Int32>, count: Int, to peer: Int, tag: Int) throws
    /// Receives exactly `count` elements; a different length is an error.
    func receive(_ buffer: UnsafeMutablePointer<Float>, count: Int, from peer: Int, tag: Int) throws
    func receive(_ buffer: UnsafeMutablePointer<Int32>, count: Int, from peer: Int, tag: Int) throws
    /// Sends to `destination` and receives from `source` in one step, which
    /// cannot deadlock in a ring exchange such as (rank+k)%N / (rank-k)%N.
    func sendReceive(
        _ sendBuffer: UnsafePointer<Float>, sendCount: Int, to destination: Int,
        _ receiveBuffer: UnsafeMutablePointer<Float>, receiveCount: Int, from source: Int,
        tag: Int) throws
    func sendReceive(
        _ sendBuffer: UnsafePointer<Int32>, sendCount: Int, to destination: Int,
        _ receiveBuffer: UnsafeMutablePointer<Int32>, receiveCount: Int, from source: Int,
        tag: Int) throws

    // MARK: Job control

    func barrier() throws
    /// Every rank's string, in rank order, on every rank (e.g. a rank → host map).
    func gatherStrings(_ string: String) throws -> [String]
    /// Waits `seconds`, still answering other ranks that ask whether this one
    /// is there (they name the ranks that do not answer when a wait times out).
    func stayReachable(for seconds: Double)
    /// Ends the whole job at once with `code` (MPI_Abort); never returns.
    func abort(code: Int32) -> Never
    /// Shuts the communicator down; safe to call more than once.
    func finalize() throws
}

extension Communicator {
    /// Seconds a rank that timed out waiting for its peers waits before it aborts.
    public static func abortGrace(afterTimeout seconds: Double) -> Double { min(30, (2 * seconds).rounded(.up)) }

    /// Whether this is the rank that writes files and prints reports.
    public var isRoot: Bool { rank == 0 }

    /// The rank `offset` places after this one around the ring (negative: before).
    public func peer(offset: Int) -> Int {
        let wrapped = (rank + offset) % size
        return wrapped < 0 ? wrapped + size : wrapped
    }

    /// Prints `error` with this rank's identity to standard error, then ends the
    /// whole job: the way a rank that cannot go on should stop, so the others
    /// never wait for it in a collective.
    public func abort(reporting error: Error, code: Int32 = 1) -> Never {
        let line = "koine: rank \(rank) of \(size) on \(hostName): error: \(error)\n"
        FileHandle.standardError.write(Data(line.utf8))
        fflush(stdout)
        if case let ClusterError.peerTimeout(_, seconds, _) = error {
            // An abort reaches the other ranks through mpirun's daemons, and one
            // sent towards a host that is gone holds mpirun up for as long as TCP
            // retransmits (many minutes). Open MPI notices a lost host itself
            // (its daemons' keepalive) and ends the job; give it the time first.
            // A rank that merely stalled is still ended by the abort after.
            stayReachable(for: Self.abortGrace(afterTimeout: seconds))
        }
        abort(code: code)
    }
}
