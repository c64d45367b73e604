import KoineTensor

/// Objects as tuples of attribute values (8 colours × 4 shapes = 32 objects),
/// each one-hot encoded per attribute and concatenated. Object ids are the
/// tuples read as mixed-radix numbers, first attribute most significant.
public final class ObjectSpace {
    public let attributes: [Int]
    public let count: Int
    /// Width of the concatenated one-hot encoding.
    public let width: Int
    /// Every object's encoding, one row per object id.
    public let encodings: Matrix
    /// Object ids that appear in training games, ascending.
    public let trainingObjects: [Int]
    /// Object ids kept out of training, ascending.
    public let heldoutObjects: [Int]
    private let arena = Arena()
    private let valueTable: [Int]  // count × attributes.count

    public enum Failure: Error, CustomStringConvertible {
        case holdoutTooLarge(requested: Int, possible: Int)
        public var description: String {
            switch self {
            case .holdoutTooLarge(let requested, let possible):
                return "holdout \(requested) would leave some attribute value unseen in training (at most \(possible) combinations can be held out)"
            }
        }
    }

    /// Builds the space and chooses `holdout` combinations, with `random`, such
    /// that every value of every attribute still appears in training.
    public init(attributes: [Int], holdout: Int, random: Random) throws {
        precondition(!attributes.isEmpty && attributes.allSatisfy { $0 >= 1 })
        self.attributes = attributes
        count = attributes.reduce(1, *)
        width = attributes.reduce(0, +)
        var table = [Int](repeating: 0, count: count * attributes.count)
        for id in 0..<count {
            var rest = id
            for a in stride(from: attributes.count - 1, through: 0, by: -1) {
                table[id * attributes.count + a] = rest % attributes[a]
                rest /= attributes[a]
            }
        }
        valueTable = table
        encodings = arena.matrix(rows: count, columns: width)
        for id in 0..<count {
            var offset = 0
            for a in 0..<attributes.count {
                encodings[id, offset + table[id * attributes.count + a]] = 1
                offset += attributes[a]
            }
        }
        let chosen = try ObjectSpace.chooseHoldout(holdout, attributes: attributes, values: table, count: count, random: random)
        heldoutObjects = chosen.sorted()
        let heldout = Set(chosen)
        trainingObjects = (0..<count).filter { !heldout.contains($0) }
    }

    /// The value of attribute `attribute` of object `id`.
    public func value(of id: Int, attribute: Int) -> Int {
        valueTable[id * attributes.count + attribute]
    }

    /// Every attribute value of object `id`.
    public func values(of id: Int) -> [Int] {
        (0..<attributes.count).map { valueTable[id * attributes.count + $0] }
    }

    /// Reserves, at random, max(attribute sizes) training objects that between
    /// them show every value of every attribute (object k takes value
    /// permutationₐ[k mod sizeₐ] of each attribute a), then holds out
    /// `holdout` of the other objects at random. Possible up to `maximumHoldout`.
    private static func chooseHoldout(_ holdout: Int, attributes: [Int], values: [Int], count: Int, random: Random) throws -> [Int] {
        if holdout == 0 { return [] }
        let possible = maximumHoldout(attributes)
        guard holdout <= possible else { throw Failure.holdoutTooLarge(requested: holdout, possible: possible) }
        var generator = random
        func shuffled(_ items: [Int]) -> [Int] {
            var items = items
            for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, generator.nextInt(below: i + 1)) }
            return items
        }
        let permutations = attributes.map { shuffled(Array(0..<$0)) }
        var reserved = Set<Int>()
        for k in 0..<(attributes.max() ?? 1) {
            var id = 0
            for a in 0..<attributes.count { id = id * attributes[a] + permutations[a][k % attributes[a]] }
            reserved.insert(id)
        }
        let candidates = shuffled((0..<count).filter { !reserved.contains($0) })
        return Array(candidates.prefix(holdout))
    }

    /// The most combinations that can be held out while every value stays seen:
    /// training needs at least max(attribute sizes) objects to cover all values.
    public static func maximumHoldout(_ attributes: [Int]) -> Int {
        attributes.reduce(1, *) - (attributes.max() ?? 1)
    }
}
