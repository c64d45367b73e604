/// What a speaker says for each object: one message per object id.
public struct Lexicon: Equatable {
    public var messages: [[Int]]
    /// Symbol that ends a variable-length message; nil for fixed length.
    public var endOfMessage: Int?

    public init(messages: [[Int]], endOfMessage: Int? = nil) {
        self.messages = messages
        self.endOfMessage = endOfMessage
    }

    /// The message of `object` with any padding after its end removed.
    public func trimmed(_ object: Int) -> [Int] {
        let message = messages[object]
        guard let end = endOfMessage, let index = message.firstIndex(of: end) else { return message }
        return Array(message[...index])
    }

    /// Distinct messages used.
    public var size: Int { Set(messages.indices.map { trimmed($0) }).count }

    /// Entropy in bits of the message distribution when objects are uniform.
    public var entropy: Double {
        var counts: [[Int]: Int] = [:]
        for object in messages.indices { counts[trimmed(object), default: 0] += 1 }
        return Information.entropy(counts: Array(counts.values))
    }

    /// Tab-separated lines `object \t description \t message`, each after `prefix`.
    public func tsv(prefix: String, game: ReferentialGame) -> String {
        var out = ""
        for object in messages.indices {
            let message = trimmed(object).map(String.init).joined(separator: " ")
            out += "\(prefix)\(object)\t\(game.describe(object: object))\t\(message)\n"
        }
        return out
    }
}

/// Entropy and mutual information of discrete variables, in bits.
public enum Information {
    /// The counts are summed in sorted order, so the result does not depend
    /// on their order (callers pass dictionary values, whose order changes
    /// from one dictionary instance to the next).
    public static func entropy(counts: [Int]) -> Double {
        let total = Double(counts.reduce(0, +))
        guard total > 0 else { return 0 }
        var h = 0.0
        for count in counts.sorted() where count > 0 {
            let p = Double(count) / total
            h -= p * log2(p)
        }
        return h
    }

    public static func entropy<T: Hashable>(_ values: [T]) -> Double {
        var counts: [T: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        return entropy(counts: Array(counts.values))
    }

    /// I(X; Y) = H(X) + H(Y) − H(X, Y).
    public static func mutualInformation<X: Hashable, Y: Hashable>(_ x: [X], _ y: [Y]) -> Double {
        let joint = zip(x, y).map { Pair(first: $0, second: $1) }
        return entropy(x) + entropy(y) - entropy(joint)
    }

    struct Pair<A: Hashable, B: Hashable>: Hashable {
        let first: A
        let second: B
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
