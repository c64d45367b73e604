import Foundation
import KoineCluster

/// Checks that the ranks of a job can reach each other with every operation
/// the trainer uses, and times the all-reduce. Each check uses values whose
/// reduced or exchanged result is known exactly, so a wrong answer is seen.
public enum ClusterDoctor {
    public struct Options {
        /// Buffer sizes to time, in Float32 values.
        public var floats: [Int]
        /// Timed calls per size; nil picks one from the size.
        public var calls: Int?
        /// Testing aid: this rank throws instead of running the checks.
        public var failRank: Int?
        /// Testing aid: ranks other than 0 sleep this long while rank 0 waits in a barrier.
        public var sleepSeconds: Double

        public init(floats: [Int] = [4_000, 1_000_000], calls: Int? = nil, failRank: Int? = nil, sleepSeconds: Double = 0) {
            self.floats = floats
            self.calls = calls
            self.failRank = failRank
            self.sleepSeconds = sleepSeconds
        }
    }

    /// The checks, in the order they run.
    public static let checkNames = ["identity", "all-reduce", "nonblocking all-reduce", "ring send-receive",
                                    "send/receive", "broadcast", "barrier"]

    /// Runs every check on every rank; all ranks must call it. Every rank
    /// returns the same report. Throws when an MPI call itself fails.
    public static func run(_ communicator: Communicator, options: Options = Options(),
                           mode: String, library: String? = nil) throws -> DoctorReport {
        var failures: [(check: String, message: String)] = []
        func expect(_ check: String, _ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition { failures.append((check, message())) }
        }

        let ranks = try identify(communicator, expect: expect)

        if options.failRank == communicator.rank {
            throw ClusterError.failed("injected failure on rank \(communicator.rank) (doctor --fail-rank)")
        }
        if options.sleepSeconds > 0 && communicator.rank != 0 {
            usleep(UInt32(min(options.sleepSeconds, 3600) * 1_000_000))
        }
        if options.sleepSeconds > 0 { try communicator.barrier() }

        try checkAllreduce(communicator, expect: expect)
        try checkNonblocking(communicator, expect: expect)
        try checkRing(communicator, expect: expect)
        try checkChain(communicator, expect: expect)
        try checkBroadcast(communicator, expect: expect)
        try communicator.barrier()

        var timings: [AllreduceTiming] = []
        for floats in options.floats {
            let calls = options.calls ?? AllreduceTiming.defaultCalls(floats: floats)
            timings.append(try AllreduceTiming.measure(communicator, floats: floats, calls: calls))
        }

        // Every rank learns every rank's failures, so all agree on the outcome.
        let encoded = failures.map { "\($0.check)\u{1f}\($0.message)" }.joined(separator: "\u{1e}")
        let gathered = try communicator.gatherStrings(encoded)
        var failed: [DoctorReport.Failure] = []
        for (rank, text) in gathered.enumerated() where !text.isEmpty {
            for record in text.split(separator: "\u{1e}") {
                let parts = record.split(separator: "\u{1f}", maxSplits: 1).map(String.init)
                failed.append(DoctorReport.Failure(rank: rank, check: parts[0], message: parts.count > 1 ? parts[1] : ""))
            }
        }
        return DoctorReport(worldSize: communicator.size, mode: mode, library: library, ranks: ranks,
                            checks: checkNames, failures: failed, timings: timings)
    }

    // MARK: Checks

    private static func identify(_ communicator: Communicator, expect: (String, Bool, @autoclosure () -> String) -> Void) throws -> [DoctorReport.Rank] {
        let mine = "\(communicator.rank)\t\(communicator.size)\t\(getpid())\t\(communicator.hostName)"
        let all = try communicator.gatherStrings(mine)
        expect("identity", all.count == communicator.size, "gathered \(all.count) identities for \(communicator.size) ranks")
        return all.enumerated().map { index, line in
            let fields = line.split(separator: "\t", maxSplits: 3).map(String.init)
            let rank = Int(fields.first ?? "") ?? -1
            let size = fields.count > 1 ? Int(fields[1]) ?? -1 : -1
            expect("identity", rank == index, "position \(index) holds rank \(rank)")
            expect("identity", size == communicator.size, "rank \(index) sees \(size) ranks, rank \(communicator.rank) sees \(communicator.size)")
            return DoctorReport.Rank(rank: rank, pid: fields.count > 2 ? Int(fields[2]) ?? 0 : 0,
                                     host: fields.count > 3 ? fields[3] : "?")
        }
    }

    private static func checkAllreduce(_ communicator: Communicator, expect: (String, Bool, @autoclosure () -> String) -> Void) throws {
        let rank = communicator.rank, size = communicator.size
        let count = 1000
        let triangle = size * (size + 1) / 2

        var floats = (0..<count).map { Float(rank + 1) * Float($0 % 7 + 1) }
        try communicator.allreduceSum(&floats, count: count)
        let floatErrors = (0..<count).filter { floats[$0] != Float(triangle * ($0 % 7 + 1)) }.count
        expect("all-reduce", floatErrors == 0, "Float sum wrong in \(floatErrors) of \(count) values")

        var doubles = (0..<count).map { Double(rank + 1) * Double($0) }
        try communicator.allreduceSum(&doubles, count: count)
        let doubleErrors = (0..<count).filter { doubles[$0] != Double(triangle * $0) }.count
        expect("all-reduce", doubleErrors == 0, "Double sum wrong in \(doubleErrors) of \(count) values")

        // Values beyond 32 bits catch a reduction done in the wrong width.
        var integers = (0..<count).map { Int64(rank) << 33 + Int64($0) }
        try communicator.allreduceSum(&integers, count: count)
        let integerErrors = (0..<count).filter { integers[$0] != Int64(size * (size - 1) / 2) << 33 + Int64(size * $0) }.count
        expect("all-reduce", integerErrors == 0, "Int64 sum wrong in \(integerErrors) of \(count) values")

        var low = (0..<count).map { Double(rank) + Double($0) * 0.5 }
        var high = low
        try communicator.allreduceMin(&low, count: count)
        try communicator.allreduceMax(&high, count: count)
        let extremeErrors = (0..<count).filter { low[$0] != Double($0) * 0.5 || high[$0] != Double(size - 1) + Double($0) * 0.5 }.count
        expect("all-reduce", extremeErrors == 0, "Double min/max wrong in \(extremeErrors) of \(count) values")

        var lowIntegers: [Int64] = [-Int64(rank), Int64(rank) << 40]
        var highIntegers = lowIntegers
        try communicator.allreduceMin(&lowIntegers, count: 2)
        try communicator.allreduceMax(&highIntegers, count: 2)
        expect("all-reduce", lowIntegers == [-Int64(size - 1), 0] && highIntegers == [0, Int64(size - 1) << 40],
               "Int64 min/max gave \(lowIntegers) and \(highIntegers)")

        var average = [Float](repeating: Float(rank) * 2, count: count)
        try communicator.allreduceAverage(&average, count: count)
        let averageErrors = average.filter { abs($0 - Float(size - 1)) > 1e-5 }.count
        expect("all-reduce", averageErrors == 0, "Float average wrong in \(averageErrors) of \(count) values")
    }

    private static func checkNonblocking(_ communicator: Communicator, expect: (String, Bool, @autoclosure () -> String) -> Void) throws {
        let rank = communicator.rank, size = communicator.size
        let count = 4096
        // Two buckets in flight at once, as the trainer overlaps them.
        let sum = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let average = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { sum.deallocate(); average.deallocate() }
        sum.initialize(repeating: Float(rank + 1), count: count)
        average.initialize(repeating: Float(rank) * 2, count: count)
        var first = try communicator.startAllreduceSum(sum, count: count)
        var second = try communicator.startAllreduceAverage(average, count: count)
        try communicator.wait(&second)
        while try !communicator.test(&first) {}
        try communicator.wait(&first)  // waiting after completion must change nothing
        _ = try communicator.test(&first)
        let triangle = Float(size * (size + 1) / 2)
        let sumErrors = (0..<count).filter { sum[$0] != triangle }.count
        let averageErrors = (0..<count).filter { abs(average[$0] - Float(size - 1)) > 1e-5 }.count
        expect("nonblocking all-reduce", sumErrors == 0, "sum wrong in \(sumErrors) of \(count) values")
        expect("nonblocking all-reduce", averageErrors == 0, "average wrong in \(averageErrors) of \(count) values")
        expect("nonblocking all-reduce", first.isCompleted && second.isCompleted, "handles not marked completed")
    }

    private static func checkRing(_ communicator: Communicator, expect: (String, Bool, @autoclosure () -> String) -> Void) throws {
        let rank = communicator.rank, size = communicator.size
        let count = 257
        // Every offset k, as cross-rank games rotate through them.
        for k in 1...max(size - 1, 1) {
            let destination = communicator.peer(offset: k), source = communicator.peer(offset: -k)
            let outgoing = (0..<count).map { Float(rank * 1000 + $0) }
            var incoming = [Float](repeating: -1, count: count)
            try communicator.sendReceive(outgoing, sendCount: count, to: destination,
                                         &incoming, receiveCount: count, from: source, tag: 100 + k)
            expect("ring send-receive", incoming == (0..<count).map { Float(source * 1000 + $0) },
                   "Float exchange with offset \(k) received wrong values from rank \(source)")

            let ids = (0..<count).map { Int32(rank * 1000 + $0) }
            var received = [Int32](repeating: -1, count: count)
            try communicator.sendReceive(ids, sendCount: count, to: destination,
                                         &received, receiveCount: count, from: source, tag: 200 + k)
            expect("ring send-receive", received == (0..<count).map { Int32(source * 1000 + $0) },
                   "Int32 exchange with offset \(k) received wrong values from rank \(source)")
        }
    }

    private static func checkChain(_ communicator: Communicator, expect: (String, Bool, @autoclosure () -> String) -> Void) throws {
        let rank = communicator.rank
        let next = communicator.peer(offset: 1), previous = communicator.peer(offset: -1)
        let count = 64
        let floats = (0..<count).map { Float(rank) + Float($0) / 64 }
        let integers = (0..<count).map { Int32(rank * 100 + $0) }
        var floatsIn = [Float](repeating: -1, count: count)
        var integersIn = [Int32](repeating: -1, count: count)
        // Rank 0 sends first and everyone else receives first: blocking sends
        // around a ring cannot then wait on each other.
        if rank == 0 {
            try communicator.send(floats, count: count, to: next, tag: 300)
            try communicator.send(integers, count: count, to: next, tag: 301)
            try communicator.receive(&floatsIn, count: count, from: previous, tag: 300)
            try communicator.receive(&integersIn, count: count, from: previous, tag: 301)
        } else {
            try communicator.receive(&floatsIn, count: count, from: previous, tag: 300)
            try communicator.receive(&integersIn, count: count, from: previous, tag: 301)
            try communicator.send(floats, count: count, to: next, tag: 300)
            try communicator.send(integers, count: count, to: next, tag: 301)
        }
        expect("send/receive", floatsIn == (0..<count).map { Float(previous) + Float($0) / 64 },
               "Float message from rank \(previous) has wrong values")
        expect("send/receive", integersIn == (0..<count).map { Int32(previous * 100 + $0) },
               "Int32 message from rank \(previous) has wrong values")
    }

    private static func checkBroadcast(_ communicator: Communicator, expect: (String, Bool, @autoclosure () -> String) -> Void) throws {
        let bytes = 4099
        for root in Set([0, communicator.size - 1]).sorted() {
            let pattern = (0..<bytes).map { UInt8(truncatingIfNeeded: $0 * 31 + root * 7 + 5) }
            var buffer = communicator.rank == root ? pattern : [UInt8](repeating: 0, count: bytes)
            try buffer.withUnsafeMutableBytes { try communicator.broadcast($0.baseAddress!, bytes: bytes, root: root) }
            expect("broadcast", buffer == pattern, "\(bytes) bytes from rank \(root) arrived changed")
        }
    }
}
