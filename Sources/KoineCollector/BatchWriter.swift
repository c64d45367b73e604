import Foundation
import KoineTelemetry

/// The collector's second thread: writes batches to SQLite while the first thread keeps
/// receiving and validating, so the two costs overlap instead of adding up.
///
/// At most two batches wait; beyond that the receiving thread waits too, and frames queue
/// in ZeroMQ (and, past its high-water mark, in the senders) — nothing is dropped here.
final class BatchWriter: @unchecked Sendable {
    /// What the receiving thread hands over: events, refused frames and its own counters.
    struct Work {
        var events: [ReceivedEvent]
        var badFrames: [BadFrameRecord]
        var received: Int
        var bad: Int
        var badByReason: [String: Int]
        var stopping: Bool
    }

    private let store: TelemetryStore
    private let condition = NSCondition()
    private var pending: [Work] = []
    private var finished = false
    private let done = DispatchSemaphore(value: 0)
    static let maximumPending = 2

    // Owned by the writer thread; published through `snapshot`.
    private var tracker: RunTracker
    private var statistics = CollectorStatistics()
    private var snapshotStatistics = CollectorStatistics()
    private var snapshotTracker: RunTracker

    /// Where stored events also go as TensorBoard files, when asked for.
    private let tensorBoard: TensorBoardExport?
    /// Why the database refused a batch, once it has: storing stops there.
    private var storeFailure: String?

    init(store: TelemetryStore, tracker: RunTracker, tensorBoard: TensorBoardExport? = nil) {
        self.store = store
        self.tensorBoard = tensorBoard
        self.tracker = tracker
        snapshotTracker = tracker
        let thread = Thread { [self] in self.loop() }
        thread.name = "koine-collector-writer"
        thread.start()
    }

    /// Whether the database refused a batch (then nothing more was stored).
    var failed: Bool {
        condition.lock(); defer { condition.unlock() }
        return publishedFailure
    }
    private var publishedFailure = false

    /// The counters and runs as of the last written batch.
    var snapshot: (statistics: CollectorStatistics, tracker: RunTracker) {
        condition.lock(); defer { condition.unlock() }
        return (snapshotStatistics, snapshotTracker)
    }

    /// Queues a batch, waiting while `maximumPending` batches are already queued.
    func submit(_ work: Work) {
        condition.lock()
        while pending.count >= Self.maximumPending { condition.wait() }
        pending.append(work)
        condition.broadcast()
        condition.unlock()
    }

    /// Queues the last batch and waits until everything is written.
    func finish(_ work: Work) {
        var last = work
        last.stopping = true
        submit(last)
        done.wait()
    }

    private func loop() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let work = pending.removeFirst()
            condition.broadcast()
            condition.unlock()
            write(work)
            if work.stopping { break }
        }
        done.signal()
    }

    private func write(_ work: Work) {
        statistics.received = work.received
        statistics.bad = work.bad
        statistics.badByReason = work.badByReason
        let started = currentTime()
        if storeFailure != nil {
            // The database failed once (a full disk): later batches are counted, not tried.
            statistics.unstored += work.events.count
        } else {
            do {
                let stored = try store.write(work.events, badFrames: work.badFrames, tracker: &tracker, statistics: &statistics,
                                             now: currentTime(), stopped: work.stopping)
                if let tensorBoard {
                    for event in stored { tensorBoard.record(event) }
                    tensorBoard.flush()
                }
            } catch {
                statistics.unstored += work.events.count
                let reason = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
                storeFailure = reason
                FileHandle.standardError.write(Data(("koine collect: \(store.path): cannot store events (\(reason)); "
                    + "storing stopped after \(statistics.stored) events, the rest are counted as not stored\n").utf8))
            }
        }
        statistics.lastWriteSeconds = currentTime() - started
        condition.lock()
        snapshotStatistics = statistics
        snapshotTracker = tracker
        publishedFailure = storeFailure != nil || (tensorBoard?.failed ?? false)
        condition.unlock()
    }
}
