import Foundation
@testable import HTTPServer
import PagerDuty
@testable import Sandbox
import Settings
import StepKit
import Testing
import TestSupport
import Values

@testable import PDStepCLI

@Suite struct OutboxTests {
    @Test func anUndeliverableEventIsQueuedThenFlushed() async throws {
        let f = try BinaryFixture(extra: "pagerduty.retry.max_attempts=2")
        defer { f.sandbox.stop() }
        f.fault(#"{"path": "/v2/enqueue", "count": 2, "status": 503}"#)
        let outbox = f.directory + "/outbox"
        let queued = try await runBinary(["send-event", "--summary", "db down", "--source", "db1", "--dedup-key", "db1", "--outbox", outbox], directory: f.directory)
        #expect(queued.code == 3)
        let json = try JSONParser.parse(queued.stdout)
        #expect(json["status"] == "queued" && json["error"]?["kind"] == "queued")
        #expect(f.state["incidents"]?.arrayValue?.isEmpty == true)
        let files = try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".json") }
        #expect(files.count == 1)
        #expect(mode(outbox + "/" + files[0]) == 0o600 && mode(outbox) == 0o700)
        let list = try await runBinary(["outbox", "list", "--outbox", outbox], directory: f.directory)
        #expect(list.stdout.contains("alert   db1  db down"))
        #expect(!list.stdout.contains(Sandbox.demo.routingKey))
        let flush = try await runBinary(["outbox", "flush", "--outbox", outbox], directory: f.directory)
        #expect(flush.code == 0 && flush.stdout.contains("delivered 1, kept 0, rejected 0"))
        #expect(f.state["incidents"]?[0]?["incident_key"] == "db1")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".json") }.isEmpty)
        #expect(!(flush.stdout + flush.stderr).contains(Sandbox.demo.routingKey))
    }

    @Test func whenTheOutboxCannotBeWrittenTheStepSaysSo() async throws {
        let f = try BinaryFixture(extra: "pagerduty.retry.max_attempts=1")
        defer { f.sandbox.stop() }
        f.fault(#"{"path": "/v2/enqueue", "count": 1, "status": 503}"#)
        let blocked = f.directory + "/not-a-folder"
        _ = FileManager.default.createFile(atPath: blocked, contents: Data("x".utf8))
        let outcome = try await runBinary(["send-event", "--summary", "x", "--source", "y", "--outbox", blocked], directory: f.directory)
        #expect(outcome.code == 3)
        #expect(try JSONParser.parse(outcome.stdout)["error"]?["message"]?.stringValue?.contains("not delivered, and not queued either") == true)
    }

    @Test func rejectedEntriesMoveAside() async throws {
        let f = try BinaryFixture(extra: "pagerduty.retry.max_attempts=1")
        defer { f.sandbox.stop() }
        let outbox = f.directory + "/outbox"
        f.fault(#"{"path": "/v2/enqueue", "count": 1, "status": 503}"#)
        _ = try await runBinary(["send-event", "--summary", "x", "--source", "y", "--outbox", outbox], directory: f.directory)
        f.fault(#"{"path": "/v2/enqueue", "count": 1, "status": 400, "body": "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\",\"errors\":[\"nope\"]}"}"#)
        let flush = try await runBinary(["outbox", "flush", "--outbox", outbox], directory: f.directory)
        #expect(flush.code == 1 && flush.stderr.contains("nope"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outbox + "/rejected").count == 1)
    }

    /// A flush killed with SIGKILL at any point loses nothing and duplicates nothing: after a
    /// second flush every event is in the sandbox exactly once, by dedup key.
    @Test func killNineDuringFlushLosesNothing() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        let outbox = Outbox(directory: f.directory + "/outbox")
        let keys = (0..<12).map { "evt-\($0)" }
        for key in keys {
            let body: Value = [
                "routing_key": .string(Sandbox.demo.routingKey), "event_action": "trigger", "dedup_key": .string(key),
                "payload": ["summary": .string("event \(key)"), "source": "test", "severity": "info"],
            ]
            try outbox.enqueue(PagerDutyRequest(api: .events, method: "POST", path: "/v2/enqueue", body: body), reason: "test")
        }
        f.fault(#"{"path": "/v2/enqueue", "count": 100, "delay_ms": 250}"#)
        let process = Process()
        process.executableURL = pdstepBinary
        process.arguments = ["outbox", "flush", "--outbox", f.directory + "/outbox"]
        process.currentDirectoryURL = URL(fileURLWithPath: f.directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Kill it as soon as it has delivered something, mid-way through the rest. The watch runs
        // on a thread of its own: on the cooperative pool, a busy test run could delay it past
        // the end of the flush.
        let pid = process.processIdentifier
        let watched = outbox
        try await offload {
            let deadline = Date().addingTimeInterval(20)
            while watched.entries().count == keys.count && Date() < deadline { usleep(2000) }
            kill(pid, SIGKILL)
        }
        process.waitUntilExit()
        let remaining = outbox.entries().count
        let raw = (try? FileManager.default.contentsOfDirectory(atPath: f.directory + "/outbox")) ?? []
        #expect(remaining > 0 && remaining < keys.count, "the kill should land mid-flush (\(remaining) left; files \(raw); requests \(f.sandbox.stateSnapshot()["incidents"]?.arrayValue?.count ?? -1))")
        let again = try await runBinary(["outbox", "flush", "--outbox", f.directory + "/outbox"], directory: f.directory)
        #expect(again.code == 0)
        #expect(outbox.entries().isEmpty)
        // Every key reached PagerDuty, each as exactly one alert (an entry sent just before the
        // kill and sent again lands on the same open alert, by its dedup key).
        let alerts = (f.state["incidents"]?.arrayValue ?? []).flatMap { $0["alerts"]?.arrayValue ?? [] }
        let delivered = alerts.compactMap { $0["alert_key"]?.stringValue }
        #expect(delivered.sorted() == keys.sorted())
    }

    /// Queues `count` alert events straight into an outbox (as a step that could not deliver them would).
    static func queue(_ count: Int, in folder: String) throws {
        let outbox = Outbox(directory: folder)
        for index in 0..<count {
            let body: Value = [
                "routing_key": .string(Sandbox.demo.routingKey), "event_action": "trigger", "dedup_key": .string("q\(index)"),
                "payload": ["summary": .string("queued \(index)"), "source": "test", "severity": "info"],
            ]
            try outbox.enqueue(PagerDutyRequest(api: .events, method: "POST", path: "/v2/enqueue", body: body), reason: "test")
        }
    }

    /// A corrupt or truncated entry is listed as unreadable and makes flush fail; it stays.
    @Test func unreadableEntriesAreShownAndFailTheFlush() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        let outbox = f.directory + "/outbox"
        try Self.queue(1, in: outbox)
        try "{\"created\": \"x\", \"path\": \"/v2/enq".write(toFile: outbox + "/0000000000000001-truncated.json", atomically: true, encoding: .utf8)
        try "".write(toFile: outbox + "/0000000000000002-empty.json", atomically: true, encoding: .utf8)
        let list = try await runBinary(["outbox", "list", "--outbox", outbox], directory: f.directory)
        #expect(list.code == 1)
        #expect(list.stdout.contains("UNREADABLE  0000000000000001-truncated.json") && list.stdout.contains("UNREADABLE  0000000000000002-empty.json: is empty"), "\(list.stdout)")
        let json = try await runBinary(["outbox", "list", "--outbox", outbox, "--json"], directory: f.directory)
        #expect(try JSONParser.parse(json.stdout).arrayValue?.count == 3)
        let flush = try await runBinary(["outbox", "flush", "--outbox", outbox], directory: f.directory)
        #expect(flush.code == 1 && flush.stdout.contains("delivered 1, kept 0, rejected 0, unreadable 2"), "\(flush.stdout)\(flush.stderr)")
        #expect(FileManager.default.fileExists(atPath: outbox + "/0000000000000001-truncated.json"))
    }

    /// Answers that are not PagerDuty's own refusal (a proxy's HTML page, a redirect, a 401 or
    /// 403 from a proxy, other 4xx) keep every entry and stop the flush with exit 3; only a
    /// PagerDuty-shaped 400 rejects.
    @Test(arguments: [404, 403, 401, 413, 301, 400])
    func onlyPagerDutysOwnRefusalRejects(_ status: Int) async throws {
        let f = try BinaryFixture(extra: "pagerduty.retry.max_attempts=1")
        defer { f.sandbox.stop() }
        let outbox = f.directory + "/outbox"
        try Self.queue(3, in: outbox)
        f.fault(#"{"path": "/v2/enqueue", "count": 10, "status": \#(status), "headers": {"Content-Type": "text/html"}, "body": "<html><body>proxy says no</body></html>"}"#)
        let flush = try await runBinary(["outbox", "flush", "--outbox", outbox], directory: f.directory)
        #expect(flush.code == 3, "\(status): \(flush.stdout)\(flush.stderr)")
        #expect(Outbox(directory: outbox).entries().count == 3)
        #expect(!FileManager.default.fileExists(atPath: outbox + "/rejected"))
        #expect(f.sandbox.shared.withLock { $0.log.count } == 1, "the flush stops at the first entry")
    }

    /// A first send answered by a proxy's page is queued too, not dropped.
    @Test func anOriginalSendAnsweredByAProxyPageIsQueued() async throws {
        let f = try BinaryFixture(extra: "pagerduty.retry.max_attempts=1")
        defer { f.sandbox.stop() }
        f.fault(#"{"path": "/v2/enqueue", "count": 1, "status": 403, "body": "<html>Forbidden by proxy</html>"}"#)
        let outbox = f.directory + "/outbox"
        let outcome = try await runBinary(["send-event", "--summary", "x", "--source", "y", "--outbox", outbox], directory: f.directory)
        let queued = try JSONParser.parse(outcome.stdout)
        #expect(outcome.code == 3 && queued["status"] == "queued", "\(outcome.stdout)")
        #expect(Outbox(directory: outbox).entries().count == 1)
    }

    /// Against a 5xx the flush gives up after the first entry's retries instead of spending the
    /// whole retry budget on every entry.
    @Test func aFlushAgainstA5xxStopsAfterTheFirstEntry() async throws {
        let f = try BinaryFixture(extra: "pagerduty.retry.max_attempts=2")
        defer { f.sandbox.stop() }
        let outbox = f.directory + "/outbox"
        try Self.queue(4, in: outbox)
        f.fault(#"{"path": "/v2/enqueue", "count": 100, "status": 503}"#)
        let flush = try await runBinary(["outbox", "flush", "--outbox", outbox], directory: f.directory)
        #expect(flush.code == 3 && flush.stderr.contains("with 3 after it"), "\(flush.stderr)")
        #expect(f.sandbox.shared.withLock { $0.log.count } == 2)
        #expect(Outbox(directory: outbox).entries().count == 4)
    }

    /// A change event cut off after it went out may have been recorded: it is queued marked
    /// uncertain, listed as such, and resent only with --include-uncertain.
    @Test func anUncertainChangeEventWaitsForConsent() async throws {
        let f = try BinaryFixture(extra: "pagerduty.retry.max_attempts=1")
        defer { f.sandbox.stop() }
        f.fault(#"{"path": "/v2/change/enqueue", "count": 1, "drop": true}"#)
        let outbox = f.directory + "/outbox"
        let sent = try await runBinary(["send-change-event", "--summary", "deployed v2", "--source", "ci", "--outbox", outbox], directory: f.directory)
        #expect(sent.code == 3 && sent.stdout.contains("--include-uncertain"), "\(sent.stdout)")
        #expect(Outbox(directory: outbox).entries().first?.uncertain == true)
        let list = try await runBinary(["outbox", "list", "--outbox", outbox], directory: f.directory)
        #expect(list.stdout.contains("[uncertain"))
        let flush = try await runBinary(["outbox", "flush", "--outbox", outbox], directory: f.directory)
        #expect(flush.code == 3 && flush.stderr.contains("--include-uncertain"))
        #expect(f.state["change_events"]?.arrayValue?.isEmpty == true)
        let consent = try await runBinary(["outbox", "flush", "--outbox", outbox, "--include-uncertain"], directory: f.directory)
        #expect(consent.code == 0 && f.state["change_events"]?.arrayValue?.count == 1, "\(consent.stderr)")
    }
}
