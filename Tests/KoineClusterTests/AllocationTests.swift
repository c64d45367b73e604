#if canImport(CAllocationCounter)
import CAllocationCounter
#endif
import Foundation
import KoineCluster
import XCTest

/// The per-step calls must not touch the heap, counted by the package's
/// malloc-counting interposer (CAllocationCounter) when the build offers it.
final class AllocationTests: XCTestCase {
    func testHotCallsOfTheSingleProcessCommunicatorDoNotAllocate() throws {
        #if !canImport(CAllocationCounter)
        throw XCTSkip("CAllocationCounter is not a dependency of KoineClusterTests in Package.swift")
        #else
        let allocations = koine_allocation_count
        let communicator: Communicator = SingleProcessCommunicator()
        let count = 4096
        let gradient = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let incoming = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: 16)
        let idsIn = UnsafeMutablePointer<Int32>.allocate(capacity: 16)
        let statistics = UnsafeMutablePointer<Double>.allocate(capacity: 4)
        defer { [gradient, incoming].forEach { $0.deallocate() }; ids.deallocate(); idsIn.deallocate(); statistics.deallocate() }
        gradient.initialize(repeating: 1, count: count)
        ids.initialize(repeating: 3, count: 16)
        statistics.initialize(repeating: 0, count: 4)

        func step() throws {
            var bucket = try communicator.startAllreduceAverage(gradient, count: count)
            try communicator.wait(&bucket)
            try communicator.allreduceAverage(gradient, count: count)
            try communicator.allreduceSum(gradient, count: count)
            try communicator.allreduceMax(statistics, count: 4)
            try communicator.sendReceive(gradient, sendCount: count, to: communicator.peer(offset: 1),
                                         incoming, receiveCount: count, from: communicator.peer(offset: -1), tag: 1)
            try communicator.sendReceive(ids, sendCount: 16, to: 0, idsIn, receiveCount: 16, from: 0, tag: 2)
        }
        try step()  // anything lazily set up happens here
        let before = allocations()
        for _ in 0..<100 { try step() }
        XCTAssertEqual(allocations() - before, 0, "the hot calls allocated")
        #endif
    }
}
