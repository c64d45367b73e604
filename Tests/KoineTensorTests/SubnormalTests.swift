import Foundation
import KoineTensor
import XCTest

/// `BLAS.prepareComputeThread` flushes subnormal floats to zero in the thread
/// that calls it (and only there), so training never pays for them.
final class SubnormalTests: XCTestCase {
    /// `x · 0.5` for the smallest normal Float, computed on a fresh thread
    /// (the flag is per thread: the test runner's own thread stays IEEE).
    func halfOfSmallestNormal(prepared: Bool) -> Float {
        final class Box: @unchecked Sendable { var value: Float = -1 }
        let box = Box(), done = DispatchSemaphore(value: 0)
        let thread = Thread {
            if prepared { BLAS.prepareComputeThread(threads: 1) }
            // Opaque to the optimiser, so the product happens at run time.
            let smallest = Float(bitPattern: UInt32(ProcessInfo.processInfo.processIdentifier > 0 ? 0x0080_0000 : 0))
            box.value = smallest * 0.5
            done.signal()
        }
        thread.start()
        done.wait()
        return box.value
    }

    func testPreparedThreadFlushesSubnormalsToZero() throws {
        #if !(arch(x86_64) || arch(i386))
        throw XCTSkip("the flush is set through SSE's control register")
        #else
        XCTAssertEqual(halfOfSmallestNormal(prepared: false), Float.leastNormalMagnitude / 2, "IEEE: a subnormal result")
        XCTAssertTrue(halfOfSmallestNormal(prepared: false).isSubnormal)
        XCTAssertEqual(halfOfSmallestNormal(prepared: true), 0, "flushed to zero")
        #endif
    }
}
