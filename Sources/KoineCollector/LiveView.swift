import Foundation
import KoineTelemetry

/// The collector's terminal display: one line per run and rank.
///
/// On a terminal the block of lines is redrawn in place a few times a second, with log
/// messages printed above it; into a pipe or file it prints the lines only every few
/// seconds and only when something changed, so logs stay readable.
final class LiveView {
    private let isTerminal: Bool
    private let interval: TimeInterval
    private var lastDraw = Date.distantPast
    private var drawnLines = 0
    private var pendingLogs: [String] = []
    private var lastBlock: [String] = []

    init(isTerminal: Bool = isatty(STDOUT_FILENO) != 0) {
        self.isTerminal = isTerminal
        interval = isTerminal ? 0.25 : 10
    }

    /// Queues a message to appear above the live lines.
    func log(_ message: String) {
        pendingLogs.append(message)
    }

    /// Whether a refresh would draw now (so callers can skip preparing its input).
    var isDue: Bool {
        Date().timeIntervalSince(lastDraw) >= interval || (!pendingLogs.isEmpty && isTerminal)
    }

    func refresh(tracker: RunTracker, statistics: CollectorStatistics, force: Bool = false) {
        guard force || isDue else { return }
        lastDraw = Date()
        let block = Self.lines(tracker: tracker, statistics: statistics)
        var output = ""
        if isTerminal {
            // Move to the top of the previous block and clear it, then print logs and the block.
            if drawnLines > 0 { output += "\u{1B}[\(drawnLines)A\r\u{1B}[J" }
            for message in pendingLogs { output += message + "\n" }
            // Lines cut to the terminal's width, so each takes exactly one row and the block redraws cleanly.
            let width = Self.terminalWidth()
            for line in block { output += String(line.prefix(max(width - 1, 20))) + "\n" }
            drawnLines = block.count
        } else {
            for message in pendingLogs { output += message + "\n" }
            if block != lastBlock || force { for line in block { output += line + "\n" } }
        }
        pendingLogs.removeAll()
        lastBlock = block
        if !output.isEmpty { FileHandle.standardOutput.write(Data(output.utf8)) }
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 120 }
        return Int(size.ws_col)
    }

    func finish() {
        if !pendingLogs.isEmpty {
            FileHandle.standardOutput.write(Data(pendingLogs.map { $0 + "\n" }.joined().utf8))
            pendingLogs.removeAll()
        }
    }

    /// The text of the view: a header with the collector's counters, then one line per rank.
    static func lines(tracker: RunTracker, statistics: CollectorStatistics) -> [String] {
        var lines = ["koine collect: \(statistics.stored) events stored, \(statistics.duplicates) duplicates, \(statistics.bad) bad frames"
                     + (statistics.unstored > 0 ? ", \(statistics.unstored) NOT stored (the database cannot be written)" : "")]
        if tracker.ranks.isEmpty { lines.append("  waiting for events…") }
        for key in tracker.ranks.keys.sorted() {
            guard let rank = tracker.ranks[key] else { continue }
            lines.append(line(key: key, rank: rank, run: tracker.runs[key.run]))
        }
        return lines
    }

    static func line(key: RankKey, rank: RankState, run: RunState?) -> String {
        let step = rank.lastStep ?? 0
        var text = "\(TerminalText.safe(key.run)) r\(key.rank) "
        if let total = run?.totalSteps, total > 0 {
            let fraction = min(max(Double(step) / Double(total), 0), 1)
            text += progressBar(fraction, width: 20) + " \(step)/\(total) \(Int((fraction * 100).rounded()))%"
        } else {
            text += "step \(step)"
        }
        if let value = rank.gamesPerSecond { text += "  games/s \(Int(saturating: value.rounded()))" }
        if let value = rank.accuracy { text += "  acc \(format(value))" }
        if let value = rank.topsim { text += "  topsim \(format(value))" }
        text += "  resets \(rank.resets)"
        text += "  lost \(rank.missing)"
        if rank.dropped > 0 { text += " (dropped \(rank.dropped))" }
        if rank.finished { text += "  done" }
        return text
    }

    static func progressBar(_ fraction: Double, width: Int) -> String {
        let filled = Int((fraction * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    static func format(_ value: Double) -> String { String(format: "%.3f", value) }
}
