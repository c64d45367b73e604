import XCTest
@testable import KoineCluster

/// Ranks pinned onto the same cores of one machine are found; ranks on
/// separate machines, or unpinned, are not.
final class CoreSharingTests: XCTestCase {
    func placement(_ machine: String, _ cores: Set<Int>, online: Set<Int> = [0, 1]) -> CoreSharing.Placement {
        CoreSharing.Placement(machine: machine, cores: cores, online: online)
    }

    func testHostsSharingOneMachineBothOnCoreZeroAreFound() {
        // Two namespace "hosts" on one 2-core machine, each rank bound to its host's core 0.
        XCTAssertEqual(CoreSharing.crowded([placement("boot-a", [0]), placement("boot-a", [0])]), [0, 1])
        // The same pinning on separate machines is what binding is for.
        XCTAssertEqual(CoreSharing.crowded([placement("boot-a", [0]), placement("boot-b", [0])]), [])
        // Each rank on a core of its own.
        XCTAssertEqual(CoreSharing.crowded([placement("boot-a", [0]), placement("boot-a", [1])]), [])
        // Unpinned ranks share every core by design.
        XCTAssertEqual(CoreSharing.crowded([placement("boot-a", [0, 1]), placement("boot-a", [0, 1])]), [])
        // One pinned rank inside another's range is still crowded; the unpinned one is left alone.
        XCTAssertEqual(CoreSharing.crowded([placement("boot-a", [0, 1]), placement("boot-a", [1])]), [1])
    }

    func testKernelCoreListsAreRead() {
        XCTAssertEqual(CoreSharing.cores(list: "0-3,8,10-11\n"), [0, 1, 2, 3, 8, 10, 11])
        XCTAssertEqual(CoreSharing.cores(list: "5"), [5])
        XCTAssertNil(CoreSharing.cores(list: ""))
        XCTAssertNil(CoreSharing.cores(list: "3-1"))
        XCTAssertNil(CoreSharing.cores(list: "a-b"))
        XCTAssertNil(CoreSharing.cores(list: "0-99999999"))
    }

    func testThisProcessHasAPlacement() {
        let here = CoreSharing.Placement.current()
        XCTAssertFalse(here.machine.isEmpty)
        XCTAssertFalse(here.cores.isEmpty)
        XCTAssertTrue(here.cores.isSubset(of: here.online))
        XCTAssertEqual(CoreSharing.Placement(encoded: here.encoded), here)
    }
}
