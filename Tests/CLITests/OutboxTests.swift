import Foundation
import PagerDuty
import Sandbox
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
}
