import Foundation
@testable import Runner
import HTTPServer
import Synchronization
import Testing
import TestSupport
@testable import Sandbox
import Values

/// A job's notification block (Rundeck's NotificationService): onfailure pages, the next
/// onsuccess resolves the same alert, a notification never changes the job's exit code.
struct NotificationTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/jobs/notify-on-failure.yaml").path

    @Test func aFailurePagesAndTheNextSuccessResolves() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        let failed = try await runBinary(["run", Self.example, "-o", "fail=yes"], directory: f.directory)
        #expect(failed.code == 1, "\(failed.stdout)\(failed.stderr)")
        var incidents = f.state["incidents"]?.arrayValue ?? []
        #expect(incidents.count == 1)
        #expect(incidents.first?["title"]?.stringValue?.hasPrefix("Backup nightly backup failed (execution ") == true, "\(incidents)")
        #expect(incidents.first?["title"]?.stringValue?.hasSuffix("step [1] Back up): the command exited with code 1") == true, "\(incidents)")
        #expect(incidents.first?["status"] == "triggered")
        // A second failure updates the same alert.
        _ = try await runBinary(["run", Self.example, "-o", "fail=yes"], directory: f.directory)
        incidents = f.state["incidents"]?.arrayValue ?? []
        #expect(incidents.count == 1)
        let succeeded = try await runBinary(["run", Self.example], directory: f.directory)
        #expect(succeeded.code == 0, "\(succeeded.stdout)\(succeeded.stderr)")
        #expect(f.state["incidents"]?[0]?["status"] == "resolved")
    }

    /// Rundeck's open-source PagerDutyNotification plugin maps onto send-event, with its
    /// default subject; an unreachable PagerDuty is logged and leaves the exit code alone.
    @Test func pagerDutyNotificationAndFailuresToNotify() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        try """
            - name: j
              notification:
                onsuccess:
                  plugin: {type: PagerDutyNotification, configuration: {service_key: '\(Sandbox.demo.routingKey)'}}
                onretryablefailure:
                  plugin: {type: pagerduty-send-event, configuration: {summary: will retry}}
                onstart:
                  plugin: {type: pagerduty-send-evnt, configuration: {summary: x, dedup_key: started}}
              sequence:
                commands:
                - exec: 'true'
            """.write(toFile: f.directory + "/j.yaml", atomically: true, encoding: .utf8)
        let invalid = try await runBinary(["validate", "j.yaml"], directory: f.directory)
        #expect(invalid.code == 2 && invalid.stderr.contains("notification onstart: unknown step type 'pagerduty-send-evnt'; did you mean 'pagerduty-send-event'?"), "\(invalid.stderr)")
        try String(contentsOfFile: f.directory + "/j.yaml", encoding: .utf8).replacingOccurrences(of: "send-evnt", with: "send-event")
            .write(toFile: f.directory + "/j.yaml", atomically: true, encoding: .utf8)
        let ran = try await runBinary(["run", "j.yaml"], directory: f.directory)
        #expect(ran.code == 0, "\(ran.stdout)\(ran.stderr)")
        let titles = (f.state["incidents"]?.arrayValue ?? []).compactMap { $0["title"]?.stringValue }
        #expect(titles.contains("x") && titles.contains { $0.hasPrefix("succeeded [pdstep] \"j\" run by ") }, "\(titles)")
        #expect(!titles.contains("will retry"))
        #expect(!ran.stdout.contains(Sandbox.demo.routingKey) && !ran.stderr.contains(Sandbox.demo.routingKey))
        // PagerDuty down: the job's result stands, and the log says the page was not sent.
        f.sandbox.stop()
        let down = try await runBinary(["run", "j.yaml", "--property", "pagerduty.retry.max_attempts=1"], directory: f.directory)
        #expect(down.code == 0 && (down.stdout + down.stderr).contains("not sent, the job's result stands"), "\(down.stdout)\(down.stderr)")
        // With an outbox the pages are kept (for `outbox flush`) and said to be queued.
        let queued = try await runBinary(["run", "j.yaml", "--outbox", "ob", "--property", "pagerduty.retry.max_attempts=1"], directory: f.directory)
        #expect(queued.code == 0 && (queued.stdout + queued.stderr).contains("queued, not delivered yet"), "\(queued.stdout)\(queued.stderr)")
        #expect((queued.stdout + queued.stderr).contains("notifications: 0 sent, 1 queued in the outbox, 0 not sent"), "\(queued.stdout)\(queued.stderr)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: f.directory + "/ob").filter { $0.hasSuffix(".json") }
        #expect(kept.count == 2, "\(kept)")
    }

    /// `--dry-run` shows what each trigger would send, for success and failure alike, with the
    /// configuration resolved and the key masked, and sends nothing.
    @Test func aDryRunListsEveryNotification() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        let plan = try await runBinary(["run", Self.example, "--dry-run"], directory: f.directory)
        #expect(plan.code == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("notification onsuccess would send:") && plan.stdout.contains("notification onfailure would send:"))
        #expect(plan.stdout.contains("\"summary\": \"Backup nightly backup failed (execution "))
        #expect(!plan.stdout.contains(Sandbox.demo.routingKey))
        #expect((f.state["incidents"]?.arrayValue ?? []).isEmpty && (f.sandbox.shared.withLock { $0.log.count }) == 0)
    }

    /// PagerDutyNotification without a service key, and no routing key in the settings either:
    /// `validate` names both places a key can come from.
    @Test func aPagerDutyNotificationWithoutAKeyIsRefused() async throws {
        let directory = makeTemporaryDirectory()
        try """
            - name: j
              notification:
                onfailure:
                  plugin: {type: PagerDutyNotification}
              sequence:
                commands:
                - exec: 'true'
            """.write(toFile: directory + "/j.yaml", atomically: true, encoding: .utf8)
        let outcome = try await runBinary(["validate", "j.yaml"], directory: directory)
        #expect(outcome.code == 2 && outcome.stderr.contains("notification onfailure: PagerDutyNotification needs its service_key"), "\(outcome.stderr)")
    }

    /// `urls` webhooks as Rundeck sends them (NotificationService.postDataUrl): POST with the
    /// X-RunDeck-Notification headers and the execution as JSON or XML, the URL's references
    /// expanded; a webhook that fails leaves the exit code alone.
    @Test func webhooksPostTheExecution() async throws {
        let received = Mutex<[HTTPRequest]>([])
        let server = HTTPServer { request in
            received.withLock { $0.append(request) }
            return HTTPResponse(status: request.path.hasSuffix("/broken") ? 404 : 200)
        }
        let port = try server.start()
        defer { server.stop() }
        let directory = makeTemporaryDirectory()
        try """
            - name: hooked
              notification:
                onfailure:
                  urls: 'http://127.0.0.1:\(port)/fail?id=${execution.id}, http://127.0.0.1:\(port)/broken'
                  format: json
                onsuccess:
                  urls: http://127.0.0.1:\(port)/ok
              options: [{name: code, value: '0'}]
              sequence:
                commands:
                - exec: exit ${option.code}
            """.write(toFile: directory + "/h.yaml", atomically: true, encoding: .utf8)
        let failed = try await runBinary(["run", "h.yaml", "-o", "code=3"], directory: directory)
        #expect(failed.code == 1, "\(failed.stdout)\(failed.stderr)")
        #expect((failed.stdout + failed.stderr).contains("/broken not delivered (HTTP 404)"))
        #expect((failed.stdout + failed.stderr).contains("notifications: 1 sent, 0 queued in the outbox, 1 not sent"))
        let succeeded = try await runBinary(["run", "h.yaml"], directory: directory)
        #expect(succeeded.code == 0, "\(succeeded.stdout)\(succeeded.stderr)")
        let requests = received.withLock { $0 }
        #expect(requests.map(\.path) == ["/fail", "/broken", "/ok"], "\(requests.map(\.target))")
        guard requests.count == 3 else { return }
        let json = try JSONParser.parse(String(decoding: requests[0].body, as: UTF8.self))
        #expect(json["trigger"] == "failure" && json["status"] == "failed" && json["execution"]?["job"]?["name"] == "hooked")
        #expect(requests[0].target.hasSuffix("?id=\(json["executionId"]?.text ?? "?")"))
        #expect(requests[0].header("X-RunDeck-Notification-Trigger") == "failure" && requests[0].header("Content-Type") == "application/json")
        let xml = String(decoding: requests[2].body, as: UTF8.self)
        #expect(xml.hasPrefix("<notification trigger=\"success\" status=\"succeeded\" executionId=") && xml.contains("<name>hooked</name>"))
        #expect(requests[2].header("Content-Type") == "text/xml")
        // Well-formed for Python's expat, the outside oracle.
        let (status, _) = try await runTool(
            ["python3", "-c", "import sys, xml.parsers.expat as e; p = e.ParserCreate(); p.Parse(sys.stdin.buffer.read(), True)"], stdin: xml)
        #expect(status == 0)
    }

    /// Rundeck's threshold rule (ExecutionJob.getNotifyAvgDurationThreshold), in milliseconds.
    @Test func averageDurationThresholds() {
        #expect(DurationHistory.threshold("+30%", average: 1000) == 1300)
        #expect(DurationHistory.threshold("+60", average: 1000) == 61_000)
        #expect(DurationHistory.threshold("+1m", average: 0) == 60_000)
        #expect(DurationHistory.threshold("90s", average: 1000) == 90_000)
        #expect(DurationHistory.threshold(nil, average: 1000) == 1000 && DurationHistory.threshold("0", average: 500) == 500)
    }

    /// `onavgduration` fires once while the job still runs past the threshold (an absolute one
    /// needs no history), and not at all for a run that ends sooner.
    @Test func onavgdurationFiresWhileTheJobRuns() async throws {
        let received = Mutex<[HTTPRequest]>([])
        let server = HTTPServer { request in
            received.withLock { $0.append(request) }
            return HTTPResponse(status: 200)
        }
        let port = try server.start()
        defer { server.stop() }
        let directory = makeTemporaryDirectory()
        try """
            - name: slow
              notifyAvgDurationThreshold: '1'
              notification:
                onavgduration:
                  urls: http://127.0.0.1:\(port)/slow
                  format: json
              options: [{name: wait, value: '0'}]
              sequence:
                commands:
                - exec: sleep ${option.wait}
            """.write(toFile: directory + "/s.yaml", atomically: true, encoding: .utf8)
        #expect(try await runBinary(["run", "s.yaml"], directory: directory).code == 0)
        #expect(FileManager.default.fileExists(atPath: directory + "/storage/state/durations"))
        // pdstep.state.dir puts the history elsewhere.
        #expect(try await runBinary(["run", "s.yaml", "--property", "pdstep.state.dir=\(directory)/elsewhere"], directory: directory).code == 0)
        #expect(FileManager.default.fileExists(atPath: directory + "/elsewhere/durations"))
        // A job without onavgduration leaves no history file behind.
        let plain = makeTemporaryDirectory()
        try "- name: p\n  sequence:\n    commands:\n    - exec: 'true'\n".write(toFile: plain + "/p.yaml", atomically: true, encoding: .utf8)
        #expect(try await runBinary(["run", "p.yaml"], directory: plain).code == 0)
        #expect(!FileManager.default.fileExists(atPath: plain + "/storage"))
        #expect(received.withLock { $0.isEmpty })
        let slow = try await runBinary(["run", "s.yaml", "-o", "wait=2"], directory: directory)
        #expect(slow.code == 0, "\(slow.stdout)\(slow.stderr)")
        let requests = received.withLock { $0 }
        #expect(requests.count == 1 && requests.first?.header("X-RunDeck-Notification-Trigger") == "avgduration", "\(slow.stdout)")
        #expect(requests.first.map { String(decoding: $0.body, as: UTF8.self) }?.contains("\"status\":\"running\"") == true)
    }
}
