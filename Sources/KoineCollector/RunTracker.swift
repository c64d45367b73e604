import Foundation

/// Identifies one rank of one run.
public struct RankKey: Hashable, Comparable, Sendable {
    public var run: String
    public var rank: Int

    public init(run: String, rank: Int) {
        self.run = run
        self.rank = rank
    }

    public static func < (lhs: RankKey, rhs: RankKey) -> Bool {
        (lhs.run, lhs.rank) < (rhs.run, rhs.rank)
    }
}

/// What the collector knows about one rank: how many distinct events it stored, the highest
/// `seq`, and the latest figures for the live view.
public struct RankState: Sendable {
    public var events = 0
    public var maxSeq = -1
    /// Events the publisher says it dropped (its own count, reported in later events).
    public var dropped = 0
    public var lastStep: Int?
    public var lastTime: Double?
    public var gamesPerSecond: Double?
    public var accuracy: Double?
    public var topsim: Double?
    public var resets = 0
    public var finished = false
    /// The seq the figures above come from, so a late (resent) event never rolls them back.
    var figuresSeq = -1
    /// Changed since the state was last written to the database.
    var dirty = false

    /// Sequence numbers below the highest one that are not stored: the gaps.
    public var missing: Int { maxSeq + 1 - events }
}

/// What the collector knows about one run as a whole.
public struct RunState: Sendable {
    public var firstSeen: Double
    public var lastSeen: Double
    public var worldSize: Int?
    public var totalSteps: Int?
    public var startedAt: Double?
    public var finishedAt: Double?
    public var finishedRanks = 0

    public var finished: Bool {
        guard let worldSize else { return false }
        return finishedRanks >= worldSize
    }
}

/// The collector's in-memory picture of every run and rank, updated with each stored event.
///
/// Gap counting needs no list of seqs: because duplicates are never stored twice, the number
/// of missing seqs is always `maxSeq + 1 - events`, whatever order events arrive in — which
/// also makes it exact after a restart, from two numbers per rank in the database.
public struct RunTracker: Sendable {
    public private(set) var ranks: [RankKey: RankState] = [:]
    public private(set) var runs: [String: RunState] = [:]
    private(set) var dirtyRuns: Set<String> = []

    public init() {}

    /// Restores state loaded from the database.
    mutating func restore(run: String, state: RunState) { runs[run] = state }
    mutating func restore(_ key: RankKey, state: RankState) { ranks[key] = state }

    /// Accounts for one event that was newly stored (`now` is the collector's clock).
    mutating func apply(_ event: ReceivedEvent, now: Double) {
        let key = RankKey(run: event.run, rank: event.rank)
        // One dictionary access per table: the states are changed in place.
        Self.update(&ranks[key, default: RankState()], with: event)
        if let last = lastRun, last == event.run, event.kind != .runStarted, event.kind != .runFinished {
            lastSeenPending = now
            return
        }
        flushLastSeen()
        let finishedRanks = event.kind == .runFinished
            ? ranks.filter { $0.key.run == event.run && $0.value.finished }.count : 0
        Self.update(&runs[event.run, default: RunState(firstSeen: now, lastSeen: now)], with: event,
                    now: now, finishedRanks: finishedRanks)
        lastRun = event.run
        dirtyRuns.insert(event.run)
    }

    /// Most events belong to the run of the event before; its last_seen is set once per batch.
    private var lastRun: String?
    private var lastSeenPending: Double?

    private mutating func flushLastSeen() {
        if let run = lastRun, let time = lastSeenPending { runs[run]?.lastSeen = time }
        lastSeenPending = nil
    }

    private static func update(_ rank: inout RankState, with event: ReceivedEvent) {
        rank.events += 1
        rank.dirty = true
        rank.maxSeq = max(rank.maxSeq, event.seq)
        if let dropped = event.dropped { rank.dropped = max(rank.dropped, dropped) }
        if event.kind == .reset { rank.resets += 1 }
        if event.kind == .runFinished { rank.finished = true }
        if event.seq > rank.figuresSeq {
            rank.figuresSeq = event.seq
            if let step = event.step { rank.lastStep = step }
            rank.lastTime = event.time
            if let value = event.gamesPerSecond { rank.gamesPerSecond = value }
            if let value = event.accuracy { rank.accuracy = value }
            if let value = event.topsim { rank.topsim = value }
            if let value = event.resets { rank.resets = max(rank.resets, value) }
        }
    }

    private static func update(_ run: inout RunState, with event: ReceivedEvent, now: Double, finishedRanks: Int) {
        run.lastSeen = now
        if event.kind == .runStarted {
            if let size = event.worldSize { run.worldSize = size }
            if let total = event.totalSteps { run.totalSteps = total }
            run.startedAt = min(run.startedAt ?? event.time, event.time)
        }
        if event.kind == .runFinished {
            run.finishedRanks = finishedRanks
            run.finishedAt = max(run.finishedAt ?? event.time, event.time)
        }
    }

    /// Hands over (and forgets) what changed since the last call, for writing to the database.
    mutating func takeDirty() -> (runs: [String], ranks: [RankKey]) {
        flushLastSeen()
        lastRun = nil
        var changed: [RankKey] = []
        for (key, state) in ranks where state.dirty {
            changed.append(key)
            ranks[key]?.dirty = false
        }
        defer { dirtyRuns.removeAll(keepingCapacity: true) }
        return (Array(dirtyRuns), changed)
    }

    /// Missing plus dropped events over all ranks of `run`.
    public func lostEvents(run: String) -> (missing: Int, dropped: Int) {
        var missing = 0, dropped = 0
        for (key, state) in ranks where key.run == run {
            missing += state.missing
            dropped += state.dropped
        }
        return (missing, dropped)
    }
}
