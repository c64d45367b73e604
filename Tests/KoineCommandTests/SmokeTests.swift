import CBLAS
import CMPI
import CZMQ
import Foundation
import KoineTestSupport
import XCTest

/// MPI, BLAS and ZeroMQ link and run.
///
/// BLAS and ZeroMQ are exercised in this process. MPI is initialised and
/// finalised in a child (`koine bench link-check`): MPI_Init may happen once
/// per process, and other suites in this same test binary may need MPI after
/// us — an MPI_Finalize here would forbid them any later MPI_Init.
final class SmokeTests: XCTestCase {
    func testSgemm() {
        // [[1 2 3] [4 5 6]] · [[7 8] [9 10] [11 12]] = [[58 64] [139 154]]
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [7, 8, 9, 10, 11, 12]
        var c = [Float](repeating: -1, count: 4)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 3, 1, a, 3, b, 2, 0, &c, 2)
        XCTAssertEqual(c, [58, 64, 139, 154])
        // Transposed A, beta 1: c += aᵀ·[[1 0] [0 1]] where aᵀ is 3×2 read from a 2×3 buffer — top 2×2 only.
        var d: [Float] = [1, 1, 1, 1]
        let identity: [Float] = [1, 0, 0, 1]
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 2, 2, 2, 1, a, 3, identity, 2, 1, &d, 2)
        // aᵀ (first two rows of the 3×2 transpose, k = 2) = [[1 4] [2 5]]; plus ones.
        XCTAssertEqual(d, [2, 5, 3, 6])
    }

    func testZeroMQPairOverInproc() throws {
        let context = try XCTUnwrap(zmq_ctx_new())
        defer { zmq_ctx_term(context) }
        let left = try XCTUnwrap(zmq_socket(context, ZMQ_PAIR)), right = try XCTUnwrap(zmq_socket(context, ZMQ_PAIR))
        defer { zmq_close(left); zmq_close(right) }
        var linger: Int32 = 0, timeout: Int32 = 5_000
        for socket in [left, right] {
            zmq_setsockopt(socket, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
            zmq_setsockopt(socket, ZMQ_RCVTIMEO, &timeout, MemoryLayout<Int32>.size)
        }
        XCTAssertEqual(zmq_bind(left, "inproc://koine-smoke"), 0)
        XCTAssertEqual(zmq_connect(right, "inproc://koine-smoke"), 0)
        let message = Array("hello, koine".utf8)
        XCTAssertEqual(zmq_send(right, message, message.count, 0), Int32(message.count))
        var buffer = [UInt8](repeating: 0, count: 64)
        let received = zmq_recv(left, &buffer, buffer.count, 0)
        XCTAssertEqual(received, Int32(message.count), "zmq_recv: \(String(cString: zmq_strerror(koine_errno())))")
        XCTAssertEqual(Array(buffer.prefix(message.count)), message)
        // And back.
        XCTAssertEqual(zmq_send(left, [UInt8(42)], 1, 0), 1)
        XCTAssertEqual(zmq_recv(right, &buffer, buffer.count, 0), 1)
        XCTAssertEqual(buffer[0], 42)
    }

    /// The MPI library is linked into this binary too (a call that needs no MPI_Init).
    func testMPILinksHere() {
        var version: Int32 = 0, subversion: Int32 = 0
        XCTAssertEqual(MPI_Get_version(&version, &subversion), koine_mpi_success())
        XCTAssertGreaterThanOrEqual(version, 3)
    }

    /// MPI_Init / MPI_Finalize in a singleton process, plus one sgemm and one
    /// inproc PAIR exchange, all in the built `koine`.
    func testLinkCheckInChildProcess() throws {
        guard FileManager.default.isExecutableFile(atPath: koineExecutable.path) else {
            return XCTFail("koine is not built next to the tests at \(koineExecutable.path)")
        }
        var environment: [String: String] = [:]
        if getuid() == 0 {
            environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        }
        let result = try runKoine(["bench", "link-check"], environment: environment, timeout: 120)
        XCTAssertFalse(result.timedOut, "koine bench link-check timed out")
        XCTAssertEqual(result.status, 0, "stdout:\n\(result.standardOutput)\nstderr:\n\(result.standardError)")
        for name in ["blas", "zeromq", "mpi"] {
            XCTAssertTrue(result.standardOutput.contains("\(name): ok"), "\(name) not ok:\n\(result.standardOutput)\n\(result.standardError)")
        }
        XCTAssertTrue(result.standardOutput.contains("MPI_Finalize"))
    }

    /// `koine bench game` trains, times, and counts FLOPs both ways. The
    /// reference iteration's count for 10 listeners, 369,849,600, is what
    /// torch's FlopCounterMode counts over one iteration of
    /// scripts/reference/li_bowling.py (forward and backward).
    func testGameBenchReportsBothFlopCounts() throws {
        var environment = ["OPENBLAS_NUM_THREADS": "1"]
        if getuid() == 0 {
            environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        }
        let result = try runKoine(["bench", "game", "--listeners", "10", "--steps", "20", "--warmup", "5", "--rounds", "1",
                                   "--json"], environment: environment, timeout: 300)
        XCTAssertEqual(result.status, 0, result.standardError)
        let line = try XCTUnwrap(result.standardOutput.split(separator: "\n").last)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(report["reference_flops_per_iteration"] as? Int, 369_849_600)
        let executed = try XCTUnwrap(report["flops_per_iteration"] as? Int)
        XCTAssertGreaterThan(executed, 0)
        XCTAssertLessThan(executed, 369_849_600, "the exact shortcuts run fewer FLOPs than the reference")
        for key in ["iterations_per_second", "gflops", "sgemm_gflops", "reference_gflops", "reference_sgemm_gflops"] {
            XCTAssertGreaterThan(report[key] as? Double ?? 0, 0, key)
        }
    }
}
