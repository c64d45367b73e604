import KoineTensor

/// Games of a batch grouped by the message they carry. A listener's state,
/// and so its query, is a function of the message alone, so it is computed
/// once per distinct message and shared by every game that heard it; the
/// gradients of those games are summed onto the shared row before the
/// recurrent backward pass. Exact up to the order of the sums. With vocabulary
/// 8 and length 2 there are at most 64 distinct messages against 100 games,
/// and about 30 once a language has formed over 32 objects.
///
/// Grouped by prefix, the same holds at every step: the state after step t
/// depends only on the first t + 1 symbols, so step t runs once per distinct
/// prefix (at most 8 rows at the first step here) and each prefix continues
/// the row of its own prefix one symbol shorter (its parent).
final class MessageGroups {
    enum Sharing {
        /// Every game is its own row at every step.
        case none
        /// One row per distinct message at every step.
        case messages
        /// One row per distinct prefix at each step, with parents.
        case prefixes
    }

    /// Step t's rows, each by its symbol of step t (like `Message.symbols`).
    let symbols: [Indices]
    /// With `.prefixes`, for t ≥ 1, the row of step t − 1 that each row of step t extends.
    let parents: [Indices]
    /// For each game, its row at the last step.
    let rowOfGame: Indices
    /// Rows of each step after the last `group`.
    private(set) var counts: [Int]
    /// Distinct messages (rows of the last step) after the last `group`.
    var count: Int { counts[counts.count - 1] }
    /// Row (plus one) of each possible prefix of each length, at `offsets[t]`;
    /// 0 = not seen in this batch. Nil when the prefixes are too many for a
    /// table: then every game is its own row.
    private let slots: UnsafeMutablePointer<Int32>?
    private let offsets: [Int]
    /// The slot each row took, to clear exactly those afterwards.
    private let slotOfRow: [Indices]
    private let vocabulary: Int
    private let capacity: Int

    static let largestTable = 1 << 16

    init(vocabulary: Int, length: Int, capacity: Int, arena: Arena) {
        self.vocabulary = vocabulary
        self.capacity = capacity
        symbols = (0..<length).map { _ in arena.indices(capacity) }
        parents = (0..<length).map { _ in arena.indices(capacity) }
        slotOfRow = (0..<length).map { _ in arena.indices(capacity) }
        rowOfGame = arena.indices(capacity)
        counts = Array(repeating: 0, count: length)
        var offsets: [Int] = [], total = 0, prefixes = 1
        for _ in 0..<length where total <= MessageGroups.largestTable {
            prefixes *= vocabulary
            offsets.append(total)
            total += prefixes
        }
        self.offsets = offsets
        if total <= MessageGroups.largestTable {
            slots = .allocate(capacity: total)
            slots!.initialize(repeating: 0, count: total)
        } else {
            slots = nil
        }
    }

    deinit { slots?.deallocate() }

    /// The most rows step t can have with `.prefixes`: distinct prefixes of
    /// t + 1 symbols among `capacity` games (every game when there is no table).
    func stepCapacity(_ t: Int) -> Int {
        guard slots != nil else { return capacity }
        var prefixes = 1
        for _ in 0...t where prefixes < capacity { prefixes *= vocabulary }
        return min(prefixes, capacity)
    }

    /// Groups the first `rows` games of `message`; returns the number of
    /// distinct messages (the last step's rows).
    func group(_ message: Message, rows: Int, sharing: Sharing) -> Int {
        let length = symbols.count
        guard sharing != .none, let slots else {
            for b in 0..<rows {
                for t in 0..<length { symbols[t][b] = message.symbols[t][b] }
                rowOfGame[b] = b
            }
            for t in 0..<length { counts[t] = rows }
            return rows
        }
        let last = length - 1
        for t in 0..<length { counts[t] = 0 }
        for b in 0..<rows {
            var key = 0, row = 0
            for t in 0..<length {
                key = key * vocabulary + message.symbols[t][b]
                guard sharing == .prefixes || t == last else { continue }
                let slot = offsets[t] + key
                var next = Int(slots[slot]) - 1
                if next < 0 {
                    next = counts[t]
                    counts[t] += 1
                    slots[slot] = Int32(next + 1)
                    slotOfRow[t][next] = slot
                    parents[t][next] = row
                    if sharing == .prefixes {
                        symbols[t][next] = message.symbols[t][b]
                    } else {
                        for s in 0..<length { symbols[s][next] = message.symbols[s][b] }
                    }
                }
                row = next
            }
            rowOfGame[b] = row
        }
        // Clear only the slots this batch used, so grouping costs O(games).
        for t in 0..<length where sharing == .prefixes || t == last {
            for row in 0..<counts[t] { slots[slotOfRow[t][row]] = 0 }
        }
        if sharing == .messages {
            for t in 0..<last { counts[t] = counts[last] }
        }
        return count
    }
}
