import KoineTensor
import XCTest
@testable import KoineGame

final class ObjectSpaceTests: XCTestCase {
    func testEightByFourHasThirtyTwoOneHotObjects() throws {
        let space = try ObjectSpace(attributes: [8, 4], holdout: 0, random: Random(seed: 1))
        XCTAssertEqual(space.count, 32)
        XCTAssertEqual(space.width, 12)
        XCTAssertEqual(space.encodings.rows, 32)
        XCTAssertEqual(space.encodings.columns, 12)
        XCTAssertEqual(space.trainingObjects, Array(0..<32))
        XCTAssertEqual(space.heldoutObjects, [])
        var seen = Set<[Int]>()
        for id in 0..<32 {
            let values = space.values(of: id)
            XCTAssertEqual(values.count, 2)
            // Mixed radix, first attribute most significant.
            XCTAssertEqual(values, [id / 4, id % 4], "object \(id)")
            XCTAssertEqual(space.value(of: id, attribute: 0), id / 4)
            XCTAssertEqual(space.value(of: id, attribute: 1), id % 4)
            seen.insert(values)
            let row = (0..<12).map { space.encodings[id, $0] }
            // One 1 among the 8 colour columns, one among the 4 shape columns, at the values.
            XCTAssertEqual(Array(row[0..<8]), (0..<8).map { $0 == values[0] ? 1 : 0 }, "object \(id)")
            XCTAssertEqual(Array(row[8..<12]), (0..<4).map { $0 == values[1] ? 1 : 0 }, "object \(id)")
        }
        XCTAssertEqual(seen.count, 32, "ids and value tuples are a bijection")
    }

    func testThreeAttributesRoundTrip() throws {
        let space = try ObjectSpace(attributes: [2, 3, 4], holdout: 0, random: Random(seed: 1))
        XCTAssertEqual(space.count, 24)
        XCTAssertEqual(space.width, 9)
        for id in 0..<24 {
            let v = space.values(of: id)
            XCTAssertEqual(v[0] * 12 + v[1] * 4 + v[2], id)
            let ones = (0..<9).filter { space.encodings[id, $0] == 1 }
            XCTAssertEqual(ones, [v[0], 2 + v[1], 5 + v[2]])
            XCTAssertEqual((0..<9).map { space.encodings[id, $0] }.reduce(0, +), 3)
        }
    }

    func testHoldoutKeepsEveryAttributeValueInTraining() throws {
        for holdout in [1, 5, 12, 20] {
            for seed in 0..<8 {
                let space = try ObjectSpace(attributes: [8, 4], holdout: holdout, random: Random(seed: UInt64(seed)))
                XCTAssertEqual(space.heldoutObjects.count, holdout)
                XCTAssertEqual(space.trainingObjects.count, 32 - holdout)
                XCTAssertEqual(Set(space.heldoutObjects).intersection(space.trainingObjects), [])
                XCTAssertEqual(Set(space.heldoutObjects).union(space.trainingObjects), Set(0..<32))
                XCTAssertEqual(space.heldoutObjects, space.heldoutObjects.sorted())
                for attribute in 0..<2 {
                    let seen = Set(space.trainingObjects.map { space.value(of: $0, attribute: attribute) })
                    XCTAssertEqual(seen.count, space.attributes[attribute],
                                   "seed \(seed), holdout \(holdout): attribute \(attribute) has an unseen value")
                }
            }
        }
    }

    func testHoldoutDependsOnTheSeedOnly() throws {
        let a = try ObjectSpace(attributes: [8, 4], holdout: 6, random: Random(seed: 7))
        let b = try ObjectSpace(attributes: [8, 4], holdout: 6, random: Random(seed: 7))
        XCTAssertEqual(a.heldoutObjects, b.heldoutObjects)
        let others = try (0..<5).map { try ObjectSpace(attributes: [8, 4], holdout: 6, random: Random(seed: 100 + UInt64($0))).heldoutObjects }
        XCTAssertTrue(others.contains { $0 != a.heldoutObjects }, "different seeds should hold out different objects")
    }

    /// The configuration accepts any holdout up to `maximumHoldout`, so the
    /// space must be able to build every one of them, whatever the seed.
    func testTheLargestAllowedHoldoutCanBeBuilt() throws {
        XCTAssertEqual(ObjectSpace.maximumHoldout([8, 4]), 24)
        XCTAssertEqual(ObjectSpace.maximumHoldout([4, 4]), 12)
        for attributes in [[8, 4], [4, 4], [3, 5]] {
            let maximum = ObjectSpace.maximumHoldout(attributes)
            for seed in 0..<20 {
                do {
                    let space = try ObjectSpace(attributes: attributes, holdout: maximum, random: Random(seed: UInt64(seed)))
                    XCTAssertEqual(space.heldoutObjects.count, maximum)
                } catch {
                    XCTFail("attributes \(attributes), seed \(seed), holdout \(maximum) (allowed): \(error)")
                }
            }
        }
    }

    func testTooLargeAHoldoutThrows() {
        XCTAssertThrowsError(try ObjectSpace(attributes: [8, 4], holdout: 25, random: Random(seed: 1))) { error in
            guard case ObjectSpace.Failure.holdoutTooLarge(let requested, let possible)? = error as? ObjectSpace.Failure else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(requested, 25)
            XCTAssertEqual(possible, 24)
            XCTAssertTrue("\(error)".contains("unseen"))
        }
        XCTAssertThrowsError(try ObjectSpace(attributes: [8, 4], holdout: 32, random: Random(seed: 1)))
        XCTAssertThrowsError(try ObjectSpace(attributes: [2, 2], holdout: 3, random: Random(seed: 1)))
    }
}
