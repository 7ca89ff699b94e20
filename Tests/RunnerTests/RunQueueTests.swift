import Testing
import YAML

@testable import Runner

/// The order `pdstep serve` starts runs in: at most the overall limit, at most each job's own,
/// each job's runs first come first served, a busy job's runs passed by others' that can start,
/// and nothing started once stopping.
struct RunQueueTests {
    @Test func limitsAndOrder() {
        let queue = RunQueue<String>(limit: 2)
        #expect(queue.add("A1", job: "A", jobLimit: 1) == ["A1"])
        #expect(queue.add("A2", job: "A", jobLimit: 1) == [])  // A is at its limit
        #expect(queue.add("B1", job: "B", jobLimit: nil) == ["B1"])  // passes A2
        #expect(queue.add("B2", job: "B", jobLimit: nil) == [])  // the overall limit
        #expect(queue.counts.waiting == 2 && queue.counts.running == 2)
        // A1 ends: A2 (first in line, and A is free) starts before B2.
        #expect(queue.finished(job: "A") == ["A2"])
        #expect(queue.finished(job: "B") == ["B2"])
        #expect(queue.finished(job: "A") == [] && queue.counts.running == 1)
    }

    @Test func aJobLimitAboveOne() {
        let queue = RunQueue<Int>(limit: 10)
        let started = (1...5).flatMap { queue.add($0, job: "J", jobLimit: 3) }
        #expect(started == [1, 2, 3] && queue.counts.waiting == 2)
        #expect(queue.finished(job: "J") == [4])
    }

    @Test func nothingStartsOnceStopping() {
        let queue = RunQueue<Int>(limit: 1)
        #expect(queue.add(1, job: "J", jobLimit: nil) == [1])
        #expect(queue.add(2, job: "J", jobLimit: nil) == [])
        #expect(queue.stopStarting() == 1)
        #expect(queue.finished(job: "J") == [] && queue.add(3, job: "K", jobLimit: nil) == [])
    }
}

/// How many runs of a job `pdstep serve` lets run at once, by Rundeck's rule
/// (ExecutionValidatorService.canRunMoreExecutions, ScheduledExecution.fromMap).
struct ConcurrencyLimitTests {
    func limit(_ fields: String) throws -> Int? {
        let text = "- name: j\n" + fields + "  sequence:\n    commands:\n    - exec: 'true'\n"
        return try JobDecoder.decode(try YAMLParser.parse(text), file: "j.yaml")[0].concurrencyLimit
    }

    @Test func rundecksRule() throws {
        #expect(try limit("") == 1)
        #expect(try limit("  multipleExecutions: false\n  maxMultipleExecutions: '3'\n") == 1)
        #expect(try limit("  multipleExecutions: true\n") == nil)
        #expect(try limit("  multipleExecutions: true\n  maxMultipleExecutions: '3'\n") == 3)
        #expect(try limit("  multipleExecutions: true\n  maxMultipleExecutions: 2\n") == 2)
        #expect(try limit("  multipleExecutions: true\n  maxMultipleExecutions: '0'\n") == nil)
        #expect(try limit("  multipleExecutions: true\n  maxMultipleExecutions: 'many'\n") == nil)
        // Groovy truth: any non-empty text turns it on.
        #expect(try limit("  multipleExecutions: 'false'\n") == nil)
    }
}
