import Foundation
@testable import KoineCollector
import KoineTelemetry
import XCTest

/// Finished ranks are counted as they finish (issue 13, item 9: each run_finished used to
/// scan every rank the collector knew), with the same results as counting them all.
final class RunTrackerTests: XCTestCase {
    private func event(_ run: String, rank: Int, seq: Int, _ kind: EventKind, worldSize: Int? = nil) -> ReceivedEvent {
        var event = ReceivedEvent(run: run, rank: rank, seq: seq, kind: kind, step: 0, time: 1, body: "{}")
        event.worldSize = worldSize
        return event
    }

    func testFinishedRanksAreCountedOncePerRank() throws {
        var tracker = RunTracker()
        // Other runs' finished ranks do not count towards this one.
        for other in 0..<50 { tracker.apply(event("other-\(other)", rank: 0, seq: 0, .runFinished), now: 1) }
        tracker.apply(event("a", rank: 0, seq: 0, .runStarted, worldSize: 2), now: 1)
        tracker.apply(event("a", rank: 1, seq: 0, .runStarted, worldSize: 2), now: 1)
        tracker.apply(event("a", rank: 0, seq: 1, .runFinished), now: 2)
        XCTAssertEqual(tracker.runs["a"]?.finishedRanks, 1)
        XCTAssertEqual(tracker.runs["a"]?.finished, false)
        // A resumed run finishes its rank again: still one rank.
        tracker.apply(event("a", rank: 0, seq: 2, .runStarted), now: 3)
        tracker.apply(event("a", rank: 0, seq: 3, .runFinished), now: 3)
        XCTAssertEqual(tracker.runs["a"]?.finishedRanks, 1)
        tracker.apply(event("a", rank: 1, seq: 1, .runFinished), now: 4)
        XCTAssertEqual(tracker.runs["a"]?.finishedRanks, 2)
        XCTAssertEqual(tracker.runs["a"]?.finished, true)
        XCTAssertEqual(tracker.runs["other-7"]?.finishedRanks, 1)
    }

    func testARestartedCollectorCountsOnFromTheRanks() throws {
        let path = try temporaryDatabase("tracker")
        var statistics = CollectorStatistics()
        do {
            let store = try TelemetryStore(path: path)
            var tracker = RunTracker()
            try store.write([event("b", rank: 0, seq: 0, .runStarted, worldSize: 3), event("b", rank: 0, seq: 1, .runFinished),
                             event("b", rank: 1, seq: 0, .runFinished), event("b", rank: 2, seq: 0, .step)],
                            badFrames: [], tracker: &tracker, statistics: &statistics, now: 1)
        }
        let store = try TelemetryStore(path: path)
        var tracker = try store.loadTracker()
        XCTAssertEqual(tracker.runs["b"]?.finishedRanks, 2)
        try store.write([event("b", rank: 1, seq: 1, .runFinished), event("b", rank: 2, seq: 1, .runFinished)],
                        badFrames: [], tracker: &tracker, statistics: &statistics, now: 2)
        XCTAssertEqual(tracker.runs["b"]?.finishedRanks, 3)
        XCTAssertEqual(tracker.runs["b"]?.finished, true)
    }
}
