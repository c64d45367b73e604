import KoineTensor
import XCTest

final class WorkspaceTests: XCTestCase {
    func testArenasOnAWorkspaceShareTheirBuffersInOrder() {
        let workspace = Workspace()
        let first = Arena(workspace: workspace), second = Arena(workspace: workspace)
        let a = first.matrix(rows: 3, columns: 5), b = first.floats(7)
        a[2, 4] = 9
        let c = second.matrix(rows: 3, columns: 5), d = second.floats(7)
        XCTAssertEqual(c.base, a.base)
        XCTAssertEqual(d, b)
        XCTAssertEqual(c[2, 4], 9, "a shared buffer holds what the last user left")
        XCTAssertEqual(first.bytes, 0, "the blocks are the workspace's")
        XCTAssertEqual(workspace.bytes, 64 + 64)
        // A buffer of another size than the workspace's block is the arena's own.
        let e = second.floats(100)
        let f = first.floats(3)
        XCTAssertNotEqual(UnsafeMutableRawPointer(e), UnsafeMutableRawPointer(f))
        XCTAssertEqual(workspace.bytes, 64 + 64 + 400)
        XCTAssertEqual(first.bytes, 64)
        XCTAssertTrue((0..<3).allSatisfy { f[$0] == 0 }, "an own block starts zeroed")
    }

    func testLentGradientsAreClearedAndOutliveTheParameters() {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 4)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 5, count: 4)
        do {
            let parameters = Parameters(count: 4, gradients: buffer)
            XCTAssertEqual(parameters.gradients, buffer)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: buffer, count: 4)), [0, 0, 0, 0])
            parameters.gradients[1] = 2
        }
        XCTAssertEqual(buffer[1], 2, "the buffer is not freed with the parameters")
    }
}
