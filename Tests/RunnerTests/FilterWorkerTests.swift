import Foundation
import StepKit
import Synchronization
import Testing
import TestSupport

@testable import Runner

/// A step's capture filters match off the pipe's reader and within a budget of matching time:
/// a regex that backtracks on some output costs the step at most the budget instead of hanging
/// it, and no line of output is lost or reordered either way.
struct FilterWorkerTests {
    final class Logged: Sendable {
        private let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    func filters(_ type: String = "key-value-data", _ config: [String: String] = [:]) throws -> OutputFilters {
        try OutputFilters([LogFilterConfig(type: type, config: config)])
    }

    /// Quadratic for a backtracking engine: each way to end `(.+?)` scans the run of spaces
    /// again. About 0.5 s for this line here: well past the tests' budgets (0.1 s), and short
    /// enough that the abandoned match does not load the machine for the rest of the tests.
    static let backtracking = ["regex": #"(.+?)\s*=(.*)"#]
    static let slowLine = "x" + String(repeating: " ", count: 5_000)

    @Test func everyLineIsLoggedInOrderAndDataIsCaptured() throws {
        let logged = Logged()
        let worker = FilterWorker(try filters(), emit: logged.add)
        // Well past the queue's bound, so the reader also waits for the matching thread.
        let lines = (0..<60_000).map { $0 == 30_000 ? "RUNDECK:DATA:k=v" : "line \($0) of the output" }
        for line in lines { worker.take(line) }
        guard case .finished(let data, let notes) = worker.finish() else {
            Issue.record("matching was stopped")
            return
        }
        #expect(logged.all == lines)
        #expect(data.map(\.key) == ["k"] && data.map(\.value) == ["v"] && notes.isEmpty)
    }

    @Test func hiddenLinesAreNotLogged() throws {
        let logged = Logged()
        let worker = FilterWorker(
            try filters("key-value-data-multilines", ["regex": #"(\w+)=(\w+)"#, "captureMultipleKeysValues": "true", "hideOutput": "true"]),
            emit: logged.add)
        for line in ["a=1", "b=2", "a=3"] { worker.take(line) }
        guard case .finished(let data, _) = worker.finish() else {
            Issue.record("matching was stopped")
            return
        }
        #expect(logged.all.isEmpty)
        #expect(data.map(\.key) == ["a", "b"] && data.map(\.value) == ["1\n3", "2"])
    }

    /// The line being matched when the budget ran out and the ones queued behind it are
    /// logged, in order; the step keeps no data and is told why.
    @Test func aRegexThatBacktracksIsStoppedAtTheBudget() throws {
        let logged = Logged()
        let worker = FilterWorker(try filters("key-value-data", Self.backtracking), budget: 0.1, emit: logged.add)
        let lines = ["before", "k=v", Self.slowLine, "after", "k=w"]
        let started = Date()
        for line in lines { worker.take(line) }
        let result = worker.finish()
        // The match itself would take hours; the step waited for the budget only.
        #expect(Date().timeIntervalSince(started) < 20)
        guard case .stopped(let note) = result else {
            Issue.record("the backtracking match finished: \(result)")
            return
        }
        #expect(note.contains("spent more than 0.1 s matching") && note.contains("no data was captured"), "\(note)")
        #expect(logged.all == lines)
    }

    /// Lines `hideOutput` hides stay hidden when matching stops: a value a job hides on purpose
    /// (a token it prints to capture) is never logged because a pattern was slow.
    @Test func hiddenLinesStayHiddenWhenMatchingStops() throws {
        let logged = Logged()
        let worker = FilterWorker(
            try filters("key-value-data-multilines", Self.backtracking.merging(["captureMultipleKeysValues": "true", "hideOutput": "true"]) { $1 }),
            budget: 0.1, emit: logged.add)
        for line in ["token=s3cr3t", Self.slowLine, "token=again"] { worker.take(line) }
        guard case .stopped(let note) = worker.finish() else {
            Issue.record("the backtracking match finished")
            return
        }
        #expect(logged.all.isEmpty, "\(logged.all.map { $0.prefix(20) })")
        #expect(note.contains("the output stays hidden"), "\(note)")
    }

    /// The end-of-output (multi-line) match is held to the same budget.
    @Test func theEndOfOutputMatchIsBoundedToo() throws {
        let logged = Logged()
        let worker = FilterWorker(try filters("key-value-data-multilines"), budget: 0.1, emit: logged.add)
        worker.take(Self.slowLine)
        guard case .stopped = worker.finish() else {
            Issue.record("the backtracking match finished")
            return
        }
        #expect(logged.all == [Self.slowLine])
    }

    /// A job that ends (its timeout) does not wait for the budget.
    @Test func aCancelledStepStopsWaiting() throws {
        let worker = FilterWorker(try filters("key-value-data", Self.backtracking), budget: 60, emit: { _ in })
        worker.take(Self.slowLine)
        let started = Date()
        guard case .stopped(let note) = worker.finish(cancelled: { Date().timeIntervalSince(started) > 0.2 }) else {
            Issue.record("the backtracking match finished")
            return
        }
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(note.contains("the step ended before matching its output did"), "\(note)")
    }
}

/// A webhook route's title pattern that backtracks on an incident's title leaves the route
/// undecided after its time (5 s; `pdstep serve` says so) instead of holding up every later
/// event.
struct RouteTitleTests {
    @Test func aTitlePatternThatBacktracksIsUndecided() throws {
        let directory = makeTemporaryDirectory()
        try "- name: j\n  sequence:\n    commands:\n    - exec: 'true'\n".write(toFile: directory + "/job.yaml", atomically: true, encoding: .utf8)
        try """
            - {name: greedy, when: {title: '^(.+?)\\s*='}, job: job.yaml}
            - {name: plain, when: {title: 'disk'}, job: job.yaml}
            - {name: any, job: job.yaml}
            """.write(toFile: directory + "/routes.yaml", atomically: true, encoding: .utf8)
        let routes = try WebhookRoutes.load("routes.yaml", directory: directory)
        let started = Date()
        let stuck = routes.matchingIndices(["data.title": FilterWorkerTests.slowLine], seconds: 0.1)
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(stuck.matched == [2] && stuck.undecided == [0])
        let plain = routes.matchingIndices(["data.title": "x = disk full"])
        #expect(plain.matched == [0, 1, 2] && plain.undecided.isEmpty)
    }
}

/// Through the runner: a command whose output sets more keys than the bound.
struct CaptureBoundTests {
    @Test func aCommandCapturingTooManyKeysKeepsTheBoundAndSaysSo() async throws {
        let h = Harness()
        let outcome = try await h.run("""
            - name: j
              sequence:
                commands:
                - script: seq -f 'RUNDECK:DATA:k%g=v' 1 \(CapturedData.maximumKeys + 2000)
                  plugins: {LogFilter: [{type: key-value-data}]}
            """)
        #expect(outcome.state == .succeeded)
        let data = outcome.data.groups["data"] ?? [:]
        #expect(data.count == CapturedData.maximumKeys && data["k1"] == "v" && data["k\(CapturedData.maximumKeys + 1)"] == nil)
        #expect(h.recorder.lines.contains { $0.contains("captured data past \(CapturedData.maximumKeys) keys") })
    }
}

/// Captured data keeps Rundeck's order and stays bounded, however much output matches.
struct CapturedDataTests {
    @Test func aKeySetAgainMovesLastAndAnAppendKeepsItsPlace() {
        var data = CapturedData()
        data.set("a", "1")
        data.set("b", "2")
        data.set("a", "3")
        #expect(data.entries.map(\.key) == ["b", "a"] && data.entries.map(\.value) == ["2", "3"])
        data.append("b", "4")
        data.append("c", "5")
        #expect(data.entries.map(\.key) == ["b", "a", "c"] && data.entries.map(\.value) == ["2\n4", "3", "5"])
        #expect(!data.full)
    }

    @Test func keysPastTheBoundAreNotKept() {
        var data = CapturedData()
        for i in 0..<(CapturedData.maximumKeys + 5) { data.set("k\(i)", "v") }
        #expect(data.entries.count == CapturedData.maximumKeys && data.full)
        // A key already kept still takes a new value.
        data.set("k0", "new")
        #expect(data.entries.last?.key == "k0" && data.entries.last?.value == "new")
    }

    @Test func bytesPastTheBoundAreNotKept() {
        var data = CapturedData()
        let big = String(repeating: "x", count: 1 << 20)
        for _ in 0..<20 { data.append("k", big) }
        #expect(data.full)
        #expect((data.entries.first?.value.utf8.count ?? 0) <= CapturedData.maximumBytes)
    }
}
