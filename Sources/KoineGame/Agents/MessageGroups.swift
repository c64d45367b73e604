import KoineTensor

/// Games of a batch grouped by the message they carry. A listener's state,
/// and so its query, is a function of the message alone, so it is computed
/// once per distinct message and shared by every game that heard it; the
/// gradients of those games are summed onto the shared row before the
/// recurrent backward pass. Exact up to the order of the sums. With vocabulary
/// 8 and length 2 there are at most 64 distinct messages against 100 games,
/// and about 30 once a language has formed over 32 objects.
final class MessageGroups {
    /// Distinct messages, each as its symbols of step t (like `Message.symbols`).
    let symbols: [Indices]
    /// For each game, the row of its message among the distinct ones.
    let rowOfGame: Indices
    /// How many distinct messages the last `group` found.
    private(set) var count = 0
    /// Row (plus one) of each possible message; 0 = not seen in this batch.
    /// Nil when the message space is too large for a table: then every game is its own row.
    private let slots: UnsafeMutablePointer<Int32>?
    private let vocabulary: Int

    static let largestTable = 1 << 16

    init(vocabulary: Int, length: Int, capacity: Int, arena: Arena) {
        self.vocabulary = vocabulary
        symbols = (0..<length).map { _ in arena.indices(capacity) }
        rowOfGame = arena.indices(capacity)
        var size = 1
        for _ in 0..<length where size <= MessageGroups.largestTable { size *= vocabulary }
        if size <= MessageGroups.largestTable {
            slots = .allocate(capacity: size)
            slots!.initialize(repeating: 0, count: size)
        } else {
            slots = nil
        }
    }

    deinit { slots?.deallocate() }

    private func key(_ message: [Indices], _ game: Int) -> Int {
        var key = 0
        for t in 0..<message.count { key = key * vocabulary + message[t][game] }
        return key
    }

    /// Groups the first `rows` games of `message`; returns the number of
    /// distinct messages. Without `sharing` (or a table) every game is its own row.
    func group(_ message: Message, rows: Int, sharing: Bool = true) -> Int {
        let length = symbols.count
        count = 0
        guard sharing, let slots else {
            for b in 0..<rows {
                for t in 0..<length { symbols[t][b] = message.symbols[t][b] }
                rowOfGame[b] = b
            }
            count = rows
            return count
        }
        for b in 0..<rows {
            let k = key(message.symbols, b)
            var row = Int(slots[k]) - 1
            if row < 0 {
                row = count
                count += 1
                slots[k] = Int32(count)
                for t in 0..<length { symbols[t][row] = message.symbols[t][b] }
            }
            rowOfGame[b] = row
        }
        // Clear only the slots this batch used, so grouping costs O(games).
        for row in 0..<count { slots[key(symbols, row)] = 0 }
        return count
    }
}
