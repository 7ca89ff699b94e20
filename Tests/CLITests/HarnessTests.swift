import Foundation
import Testing
import TestSupport

/// The test harness itself: feeding input to a child that exits without reading it must not
/// raise SIGPIPE in the test process (it would end every test at once, with no report).
struct HarnessTests {
    @Test func inputToAChildThatExitsAtOnceIsDroppedQuietly() async throws {
        // More than a pipe holds, so the write is still going when the child has gone.
        let (status, _) = try await runTool(["true"], stdin: String(repeating: "x", count: 1 << 20))
        #expect(status == 0)
    }
}
