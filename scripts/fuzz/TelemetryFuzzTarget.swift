// libFuzzer's entry point for scripts/fuzz-telemetry: each input is one frame as the
// collector receives it, taken through the decoder and the run tracker (the ingest path
// up to SQLite). Besides crashes, it stops on a broken promise of the decoder.

nonisolated(unsafe) private var decoder = EventDecoder()
nonisolated(unsafe) private var tracker = RunTracker()
nonisolated(unsafe) private var inputs = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTelemetryFrame(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let frame = UnsafeRawBufferPointer(start: data, count: size)
    switch decoder.decode(frame) {
    case let .success(event):
        precondition((0...maximumCount).contains(event.seq) && (0...maximumCount).contains(event.rank),
                     "a count out of bounds was accepted")
        precondition(event.dropped.map { (0...maximumCount).contains($0) } ?? true, "dropped out of bounds was accepted")
        precondition(JSONValue.parse(event.body) != nil, "the scanner accepted a body the report's parser refuses")
        tracker.apply(event, now: 1)
        precondition(tracker.lostEvents(run: event.run).missing >= 0)
    case let .failure(problem):
        _ = problem.description
    }
    // The tracker keeps every run and rank it saw; start afresh now and then.
    inputs += 1
    if inputs % 10_000 == 0 { tracker = RunTracker() }
    return 0
}
