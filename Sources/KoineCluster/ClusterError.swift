/// What went wrong in a cluster operation. Every case prints as one line that
/// names the operation, so a rank's error is readable in the job's output.
public enum ClusterError: Error, CustomStringConvertible, Equatable {
    /// An MPI call returned an error code; `message` is MPI's own error string.
    case mpi(operation: String, code: Int32, message: String)
    /// A peer rank outside `0..<size`.
    case invalidRank(operation: String, rank: Int, size: Int)
    /// A message arrived with a different length than the receiver expected.
    case countMismatch(operation: String, expected: Int, received: Int)
    /// A receive that could never complete in one process: nothing was sent.
    case noMessage(from: Int, tag: Int)
    /// The communicator was used after `finalize()`.
    case finalized(operation: String)
    /// Nothing came from `peers` (e.g. "rank 1 on node02", or "the other
    /// ranks") for `seconds` during `operation`: a host lost, or a rank stalled.
    case peerTimeout(operation: String, seconds: Double, peers: String)
    /// Any other failure, with its explanation.
    case failed(String)

    public var description: String {
        switch self {
        case let .mpi(operation, code, message):
            return "\(operation) failed: \(message) (MPI error \(code))"
        case let .invalidRank(operation, rank, size):
            return "\(operation): rank \(rank) is outside 0..<\(size)"
        case let .countMismatch(operation, expected, received):
            return "\(operation): expected \(expected) elements, received \(received)"
        case let .noMessage(from, tag):
            return "receive from rank \(from) with tag \(tag): no message was sent (it would wait forever)"
        case let .finalized(operation):
            return "\(operation): the communicator was already finalized"
        case let .peerTimeout(operation, seconds, peers):
            return "no answer from \(peers) for \(Int(seconds)) s in \(operation): its host may be lost or unreachable, "
                + "or the rank stalled; stopping the job (--peer-timeout sets the limit)"
        case let .failed(message):
            return message
        }
    }
}
