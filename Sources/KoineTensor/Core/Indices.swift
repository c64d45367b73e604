/// A view of `count` Int32 indices (symbols, object ids, actions).
public struct Indices {
    public let base: UnsafeMutablePointer<Int32>
    public let count: Int

    @inlinable
    public init(_ base: UnsafeMutablePointer<Int32>, count: Int) {
        self.base = base
        self.count = count
    }

    @inlinable
    public subscript(index: Int) -> Int {
        get { Int(base[index]) }
        nonmutating set { base[index] = Int32(truncatingIfNeeded: newValue) }
    }

    @inlinable
    public func prefix(_ count: Int) -> Indices { Indices(base, count: count) }

    @inlinable
    public func slice(_ range: Range<Int>) -> Indices { Indices(base + range.lowerBound, count: range.count) }

    public var array: [Int] { (0..<count).map { self[$0] } }
}
