import CZMQ
import Foundation

/// A ZeroMQ call that failed, with libzmq's own explanation.
public struct ZeroMQError: Error, CustomStringConvertible {
    public let operation: String
    public let code: Int32

    public init(_ operation: String, code: Int32 = koine_errno()) {
        self.operation = operation
        self.code = code
    }

    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(code)))"
    }

    /// The endpoint is already bound by someone else.
    public var isAddressInUse: Bool { code == EADDRINUSE }
}

/// Thin helpers over the C API, so the socket code reads as what it means.
package enum ZeroMQ {
    /// One context for in-process (`inproc://`) endpoints, which only meet inside the same context.
    /// It lives as long as the process.
    package static let sharedContext: UnsafeMutableRawPointer = zmq_ctx_new()

    package static func setOption(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ value: Int32) throws {
        var value = value
        guard zmq_setsockopt(socket, option, &value, MemoryLayout<Int32>.size) == 0 else {
            throw ZeroMQError("zmq_setsockopt(\(option))")
        }
    }

    package static func setOption(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ value: Int64) throws {
        var value = value
        guard zmq_setsockopt(socket, option, &value, MemoryLayout<Int64>.size) == 0 else {
            throw ZeroMQError("zmq_setsockopt(\(option))")
        }
    }
}

/// A socket handed to the one thread that will use it from then on.
struct SocketHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}
