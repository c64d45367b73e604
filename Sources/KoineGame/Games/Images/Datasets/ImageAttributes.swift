/// Ground-truth attributes of images, in the attribute game's terms: each
/// image has one value per attribute, so topographic similarity and
/// disentanglement measure messages about pictures as they do about tuples.
public struct ImageAttributes: Equatable {
    /// Attribute names, e.g. shape, colour, size, position.
    public let names: [String]
    /// Values per attribute (the attribute game's `game.attributes`).
    public let sizes: [Int]
    /// The name of every value of every attribute.
    public let valueNames: [[String]]
    /// count × names.count values, one row per image.
    public let values: [Int]

    public init(names: [String], valueNames: [[String]], values: [Int]) {
        precondition(!names.isEmpty && names.count == valueNames.count && values.count % names.count == 0)
        self.names = names
        self.valueNames = valueNames
        sizes = valueNames.map(\.count)
        self.values = values
    }

    /// Number of images described.
    public var count: Int { values.count / names.count }

    /// Every attribute value of image `index`.
    public func values(of index: Int) -> [Int] {
        Array(values[index * names.count..<(index + 1) * names.count])
    }

    /// The value of `attribute` for image `index`.
    public func value(of index: Int, attribute: Int) -> Int {
        values[index * names.count + attribute]
    }

    /// The image's attribute tuple as an object id of an `ObjectSpace` with
    /// these `sizes` (mixed radix, first attribute most significant).
    public func object(of index: Int) -> Int {
        var id = 0
        for attribute in 0..<names.count { id = id * sizes[attribute] + value(of: index, attribute: attribute) }
        return id
    }
}
