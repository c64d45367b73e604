import KoineCluster
import KoineMPI
import XCTest

final class SingleProcessCommunicatorTests: XCTestCase {
    func testIsOneRankAndReductionsAreIdentities() throws {
        let communicator = SingleProcessCommunicator()
        XCTAssertEqual(communicator.rank, 0)
        XCTAssertEqual(communicator.size, 1)
        XCTAssertTrue(communicator.isRoot)
        XCTAssertFalse(communicator.hostName.isEmpty)

        var floats: [Float] = [1.5, -2, 3]
        try communicator.allreduceSum(&floats, count: 3)
        try communicator.allreduceAverage(&floats, count: 3)
        XCTAssertEqual(floats, [1.5, -2, 3])
        var doubles: [Double] = [0.25, 7]
        try communicator.allreduceSum(&doubles, count: 2)
        try communicator.allreduceMin(&doubles, count: 2)
        try communicator.allreduceMax(&doubles, count: 2)
        XCTAssertEqual(doubles, [0.25, 7])
        var integers: [Int64] = [Int64.max, -5]
        try communicator.allreduceSum(&integers, count: 2)
        try communicator.allreduceMin(&integers, count: 2)
        try communicator.allreduceMax(&integers, count: 2)
        XCTAssertEqual(integers, [Int64.max, -5])
        XCTAssertEqual(try communicator.gatherStrings("host-a"), ["host-a"])
        try communicator.barrier()
    }

    func testNonblockingReductionCompletesOnceAndWaitingTwiceIsHarmless() throws {
        let communicator = SingleProcessCommunicator()
        var values: [Float] = [2, 4, 6]
        try values.withUnsafeMutableBufferPointer { buffer in
            var sum = try communicator.startAllreduceSum(buffer.baseAddress!, count: 3)
            var average = try communicator.startAllreduceAverage(buffer.baseAddress!, count: 3)
            XCTAssertFalse(sum.isCompleted)
            try communicator.wait(&sum)
            XCTAssertTrue(try communicator.test(&average))
            try communicator.wait(&average)
            XCTAssertTrue(sum.isCompleted)
            XCTAssertTrue(average.isCompleted)
        }
        XCTAssertEqual(values, [2, 4, 6])
    }

    func testBroadcastFromSelfKeepsTheBytesAndOtherRootsAreRejected() throws {
        let communicator = SingleProcessCommunicator()
        var bytes: [UInt8] = [9, 8, 7]
        try bytes.withUnsafeMutableBytes { try communicator.broadcast($0.baseAddress!, bytes: 3, root: 0) }
        XCTAssertEqual(bytes, [9, 8, 7])
        XCTAssertThrowsError(try bytes.withUnsafeMutableBytes { try communicator.broadcast($0.baseAddress!, bytes: 3, root: 1) }) {
            XCTAssertEqual($0 as? ClusterError, .invalidRank(operation: "broadcast", rank: 1, size: 1))
        }
    }

    func testSendReceiveToSelfCopies() throws {
        let communicator = SingleProcessCommunicator()
        let outgoing: [Float] = [1, 2, 3, 4]
        var incoming = [Float](repeating: 0, count: 4)
        try communicator.sendReceive(outgoing, sendCount: 4, to: communicator.peer(offset: 1),
                                     &incoming, receiveCount: 4, from: communicator.peer(offset: -1), tag: 7)
        XCTAssertEqual(incoming, outgoing)

        let ids: [Int32] = [5, 6]
        var received: [Int32] = [0, 0]
        try communicator.sendReceive(ids, sendCount: 2, to: 0, &received, receiveCount: 2, from: 0, tag: 1)
        XCTAssertEqual(received, ids)

        XCTAssertThrowsError(try communicator.sendReceive(ids, sendCount: 2, to: 0, &received, receiveCount: 1, from: 0, tag: 1))
        XCTAssertThrowsError(try communicator.sendReceive(ids, sendCount: 2, to: 1, &received, receiveCount: 2, from: 0, tag: 1))
    }

    func testSendToSelfIsQueuedPerTagInOrder() throws {
        let communicator = SingleProcessCommunicator()
        let first: [Float] = [1, 1], second: [Float] = [2, 2]
        let other: [Int32] = [42]
        try communicator.send(first, count: 2, to: 0, tag: 3)
        try communicator.send(other, count: 1, to: 0, tag: 4)
        try communicator.send(second, count: 2, to: 0, tag: 3)

        var integer: [Int32] = [0]
        try communicator.receive(&integer, count: 1, from: 0, tag: 4)
        XCTAssertEqual(integer, [42])
        var buffer: [Float] = [0, 0]
        try communicator.receive(&buffer, count: 2, from: 0, tag: 3)
        XCTAssertEqual(buffer, first)
        try communicator.receive(&buffer, count: 2, from: 0, tag: 3)
        XCTAssertEqual(buffer, second)

        // Nothing left: a receive would wait forever, so it is an error instead.
        XCTAssertThrowsError(try communicator.receive(&buffer, count: 2, from: 0, tag: 3)) {
            XCTAssertEqual($0 as? ClusterError, .noMessage(from: 0, tag: 3))
        }
        try communicator.send(first, count: 2, to: 0, tag: 5)
        var short: [Float] = [0]
        XCTAssertThrowsError(try communicator.receive(&short, count: 1, from: 0, tag: 5)) {
            XCTAssertEqual($0 as? ClusterError, .countMismatch(operation: "receive", expected: 1, received: 2))
        }
        XCTAssertThrowsError(try communicator.send(first, count: 2, to: 2, tag: 0))
    }

    func testFinalizeIsIdempotentAndLaterUseIsAnError() throws {
        let communicator = SingleProcessCommunicator()
        try communicator.finalize()
        try communicator.finalize()
        var value: [Float] = [1]
        XCTAssertThrowsError(try communicator.allreduceSum(&value, count: 1)) {
            XCTAssertEqual($0 as? ClusterError, .finalized(operation: "allreduce"))
        }
    }

    func testPeerOffsetsWrapAroundTheRing() {
        let communicator = SingleProcessCommunicator()
        XCTAssertEqual(communicator.peer(offset: 1), 0)
        XCTAssertEqual(communicator.peer(offset: -3), 0)
    }

    func testEnvironmentPicksMPIOnlyUnderALauncher() throws {
        XCTAssertFalse(ClusterEnvironment.isLaunchedByMPI([:]))
        XCTAssertFalse(ClusterEnvironment.isLaunchedByMPI(["OMPI_MCA_foo": "1"]))
        XCTAssertTrue(ClusterEnvironment.isLaunchedByMPI(["OMPI_COMM_WORLD_SIZE": "2"]))
        XCTAssertTrue(ClusterEnvironment.isLaunchedByMPI(["PMIX_RANK": "0"]))
        XCTAssertTrue(ClusterEnvironment.isLaunchedByMPI(["PMI_RANK": "3"]))
        if !ClusterEnvironment.isLaunchedByMPI() {
            XCTAssertTrue(try ClusterEnvironment.makeCommunicator() is SingleProcessCommunicator)
        }
    }
}
