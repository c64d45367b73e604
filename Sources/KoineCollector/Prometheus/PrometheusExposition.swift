/// The collector's state in Prometheus's text exposition format (version
/// 0.0.4): per run and rank the latest figures and counters, and the
/// collector's own counters, so cluster monitoring can scrape and alert on
/// runs (a stalled step, growing gaps, dropped events).
enum PrometheusExposition {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// `now` (Unix time) gives each rank's seconds since it was last heard from.
    static func render(statistics: CollectorStatistics, tracker: RunTracker, now: Double) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples { out += "\(name)\(sample.labels) \(format(sample.value))\n" }
        }
        let ranks = tracker.ranks.sorted { $0.key < $1.key }
        func perRank(_ value: (RankState) -> Double?) -> [(labels: String, value: Double)] {
            ranks.compactMap { key, state in value(state).map { (labels(run: key.run, rank: key.rank), $0) } }
        }
        family("koine_rank_events_stored_total", "counter", "Distinct events stored for the rank.", perRank { Double($0.events) })
        family("koine_rank_events_missing", "gauge", "Sequence numbers below the highest one never received.", perRank { Double($0.missing) })
        family("koine_rank_events_dropped", "gauge", "Events the rank reported dropping (a full queue).", perRank { Double($0.dropped) })
        family("koine_rank_step", "gauge", "The latest training step reported.", perRank { $0.lastStep.map(Double.init) })
        family("koine_rank_last_event_time_seconds", "gauge", "When the rank's latest event was sent (Unix time).", perRank { $0.lastTime })
        family("koine_rank_seconds_since_last_event", "gauge", "Seconds since the rank's latest event was sent.",
               perRank { $0.lastTime.map { max(0, now - $0) } })
        family("koine_rank_games_per_second", "gauge", "Games per second over the latest step window.", perRank { $0.gamesPerSecond })
        family("koine_rank_accuracy", "gauge", "Latest accuracy (training window or evaluation).", perRank { $0.accuracy })
        family("koine_rank_topsim", "gauge", "Latest topographic similarity.", perRank { $0.topsim })
        family("koine_rank_resets", "gauge", "Resets the rank reported.", perRank { Double($0.resets) })
        family("koine_rank_finished", "gauge", "1 once the rank sent run_finished.", perRank { $0.finished ? 1 : 0 })
        family("koine_collector_events_received_total", "counter", "Frames received.", [("", Double(statistics.received))])
        family("koine_collector_events_stored_total", "counter", "Events stored.", [("", Double(statistics.stored))])
        family("koine_collector_events_duplicate_total", "counter", "Events already stored (replays).", [("", Double(statistics.duplicates))])
        family("koine_collector_frames_bad_total", "counter", "Frames refused as malformed.", [("", Double(statistics.bad))])
        family("koine_collector_events_unstored_total", "counter", "Events the database refused.", [("", Double(statistics.unstored))])
        family("koine_collector_store_write_seconds", "gauge", "How long the last batch took to write to SQLite.",
               [("", statistics.lastWriteSeconds)])
        return out
    }

    static func labels(run: String, rank: Int) -> String {
        "{run=\"\(escape(run))\",rank=\"\(rank)\"}"
    }

    /// Label values escape backslash, double quote and line feed.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
