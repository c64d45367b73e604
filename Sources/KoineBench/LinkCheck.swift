import CBLAS
import CZMQ
import Foundation

/// What `koine bench link-check` runs besides `MPILinkCheck`: one sgemm
/// against known values and one ZeroMQ PAIR exchange, each a line on success.
public enum LinkCheck {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// [[1 2 3] [4 5 6]] · [[7 8] [9 10] [11 12]] = [[58 64] [139 154]].
    public static func blas() throws -> String {
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [7, 8, 9, 10, 11, 12]
        var c = [Float](repeating: -1, count: 4)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 3, 1, a, 3, b, 2, 0, &c, 2)
        guard c == [58, 64, 139, 154] else { throw Failure("sgemm gave \(c), expected [58, 64, 139, 154]") }
        return "cblas_sgemm 2×3·3×2 = \(c.map { Int($0) }), OpenBLAS threads \(openblas_get_num_threads())"
    }

    /// A PAIR socket pair over inproc, one message each way.
    public static func zeroMQ() throws -> String {
        guard let context = zmq_ctx_new() else { throw Failure("zmq_ctx_new failed") }
        defer { zmq_ctx_term(context) }
        guard let left = zmq_socket(context, ZMQ_PAIR), let right = zmq_socket(context, ZMQ_PAIR) else {
            throw Failure("zmq_socket failed: \(String(cString: zmq_strerror(koine_errno())))")
        }
        defer { zmq_close(left); zmq_close(right) }
        var linger: Int32 = 0
        zmq_setsockopt(left, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        zmq_setsockopt(right, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        var timeout: Int32 = 5_000
        zmq_setsockopt(left, ZMQ_RCVTIMEO, &timeout, MemoryLayout<Int32>.size)
        zmq_setsockopt(right, ZMQ_RCVTIMEO, &timeout, MemoryLayout<Int32>.size)
        let endpoint = "inproc://koine-link-check"
        guard zmq_bind(left, endpoint) == 0 else { throw Failure("zmq_bind: \(String(cString: zmq_strerror(koine_errno())))") }
        guard zmq_connect(right, endpoint) == 0 else { throw Failure("zmq_connect: \(String(cString: zmq_strerror(koine_errno())))") }

        func send(_ socket: UnsafeMutableRawPointer, _ text: String) throws {
            let bytes = Array(text.utf8)
            guard zmq_send(socket, bytes, bytes.count, 0) == Int32(bytes.count) else {
                throw Failure("zmq_send: \(String(cString: zmq_strerror(koine_errno())))")
            }
        }
        func receive(_ socket: UnsafeMutableRawPointer) throws -> String {
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = zmq_recv(socket, &buffer, buffer.count, 0)
            guard n >= 0 else { throw Failure("zmq_recv: \(String(cString: zmq_strerror(koine_errno())))") }
            return String(decoding: buffer[0..<min(Int(n), buffer.count)], as: UTF8.self)
        }
        try send(right, "ping")
        let got = try receive(left)
        guard got == "ping" else { throw Failure("received \(got.debugDescription), expected \"ping\"") }
        try send(left, "pong")
        let back = try receive(right)
        guard back == "pong" else { throw Failure("received \(back.debugDescription), expected \"pong\"") }
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "PAIR over \(endpoint): ping → pong, libzmq \(major).\(minor).\(patch)"
    }
}
