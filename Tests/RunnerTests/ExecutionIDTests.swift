import Foundation
import Testing

@testable import Runner

/// Execution ids never repeat within a process, even for jobs started in the same millisecond.
@Suite struct ExecutionIDTests {
    @Test func idsAreUniqueAndIncreasing() async {
        let now = Date()
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<8 { group.addTask { (0..<250).map { _ in ExecutionID.next(now: now) } } }
            var all: [String] = []
            for await batch in group { all += batch }
            return all
        }
        #expect(Set(ids).count == 2000)
        #expect(ids.allSatisfy { Int64($0) != nil })
        #expect(ExecutionID.uuid() != ExecutionID.uuid())
    }
}
