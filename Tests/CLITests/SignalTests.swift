import Foundation
@testable import HTTPServer
import PagerDuty
@testable import Sandbox
import Testing
import TestSupport
import Values

/// What pdstep does when it is stopped: the event in flight is kept (queued, exit 3) or reported
/// not delivered, commands it started are ended, and its temporary files are removed.
@Suite struct SignalTests {
    /// The real binary started in the background, its output collected.
    final class Started: @unchecked Sendable {
        let process = Process()
        let stdout = Pipe()
        let stderr = Pipe()

        /// `blocked`: started with SIGTERM, SIGINT and SIGHUP blocked, as a parent's Dispatch
        /// thread (or a careless orchestrator) starts it.
        init(_ arguments: [String], directory: String, environment: [String: String] = [:], blocked: Bool = false) throws {
            if blocked {
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                let block = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}); os.execv(sys.argv[1], sys.argv[1:])"
                process.arguments = ["python3", "-c", block, pdstepBinary.path] + arguments
            } else {
                process.executableURL = pdstepBinary
                process.arguments = arguments
            }
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()
        }

        /// Sends `signal` and waits for the exit: code, stdout, stderr.
        func stop(with signal: Int32) async throws -> Outcome {
            kill(process.processIdentifier, signal)
            return try await outcome()
        }

        /// Waits for the exit: code, stdout, stderr.
        func outcome() async throws -> Outcome {
            try await offload { [self] in
                let out = stdout.fileHandleForReading.readDataToEndOfFile()
                let err = stderr.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return Outcome(code: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
            }
        }
    }

    /// Waits (off the cooperative pool) until `condition` holds, up to 15 s.
    static func waitUntil(_ condition: @escaping @Sendable () -> Bool) async throws {
        try await offload {
            let deadline = Date().addingTimeInterval(15)
            while !condition() && Date() < deadline { usleep(10_000) }
        }
    }

    static func outboxFiles(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
    }

    /// Stopped while it retries a 503: the event is in the outbox, the result says queued, exit 3,
    /// for each of the signals an orchestrator or a terminal sends; a flush then delivers it.
    @Test(arguments: [SIGTERM, SIGINT, SIGHUP])
    func aSignalMidRetryQueuesTheEvent(_ signal: Int32) async throws {
        let f = try BinaryFixture(extra: "pagerduty.retry.max_attempts=100\npagerduty.retry.initial_delay=0.2")
        defer { f.sandbox.stop() }
        f.fault(#"{"path": "/v2/enqueue", "count": 1000, "status": 503}"#)
        let outbox = f.directory + "/outbox"
        let started = try Started(["send-event", "--summary", "db down", "--source", "db1", "--dedup-key", "db-\(signal)", "--outbox", outbox], directory: f.directory)
        // Retrying: the first attempt was answered 503.
        try await Self.waitUntil { f.sandbox.shared.withLock { $0.log.count } >= 2 }
        let outcome = try await started.stop(with: signal)
        #expect(outcome.code == 3, "\(outcome.stderr)")
        let json = try JSONParser.parse(outcome.stdout)
        #expect(json["status"] == "queued" && json["error"]?["kind"] == "queued", "\(outcome.stdout)")
        #expect(json["error"]?["message"]?.stringValue?.contains("stopped by SIG") == true)
        #expect(Self.outboxFiles(outbox).count == 1)
        f.sandbox.shared.withLock { $0.faults.removeAll() }
        let flush = try await runBinary(["outbox", "flush", "--outbox", outbox], directory: f.directory)
        #expect(flush.code == 0 && f.state["incidents"]?[0]?["incident_key"] == .string("db-\(signal)"), "\(flush.stderr)")
    }

    /// Without an outbox the same signal reports the event as not delivered, with the signal's
    /// exit code, never as sent; also when pdstep was started with the signal blocked.
    @Test(arguments: [false, true])
    func aSignalWithoutAnOutboxSaysNotDelivered(blocked: Bool) async throws {
        let f = try BinaryFixture(extra: "pagerduty.retry.max_attempts=100\npagerduty.retry.initial_delay=0.2")
        defer { f.sandbox.stop() }
        f.fault(#"{"path": "/v2/enqueue", "count": 1000, "status": 503}"#)
        let started = try Started(["send-event", "--summary", "db down", "--source", "db1"], directory: f.directory, blocked: blocked)
        try await Self.waitUntil { f.sandbox.shared.withLock { $0.log.count } >= 2 }
        let outcome = try await started.stop(with: SIGTERM)
        #expect(outcome.code == 128 + SIGTERM)
        let json = try JSONParser.parse(outcome.stdout)
        #expect(json["status"] == "failed")
        #expect(json["error"]?["message"]?.stringValue?.contains("not delivered") == true, "\(outcome.stdout)")
    }

    /// A job stopped by SIGTERM fires its onfailure notifications (Rundeck fires onfailure for
    /// an aborted execution) before it exits.
    @Test func aStoppedJobFiresOnfailure() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        try """
            - name: long job
              notification:
                onfailure:
                  plugin: {type: pagerduty-send-event, configuration: {summary: '${job.name} ${execution.status} by ${execution.abortedby}'}}
              sequence:
                commands:
                - exec: touch started ; sleep 30
            """.write(toFile: f.directory + "/long.yaml", atomically: true, encoding: .utf8)
        let started = try Started(["run", "long.yaml"], directory: f.directory)
        try await Self.waitUntil { FileManager.default.fileExists(atPath: f.directory + "/started") }
        let outcome = try await started.stop(with: SIGTERM)
        #expect(outcome.code == 128 + SIGTERM, "\(outcome.stdout)\(outcome.stderr)")
        let titles = (f.state["incidents"]?.arrayValue ?? []).compactMap { $0["title"]?.stringValue }
        #expect(titles == ["long job aborted by SIGTERM"], "\(outcome.stdout)\(outcome.stderr)")
    }

    /// SIGKILL cannot be caught: the entry written before the first attempt is what survives.
    @Test func killNineMidSendLeavesTheEventInTheOutbox() async throws {
        let f = try BinaryFixture()
        defer { f.sandbox.stop() }
        // The answer is held far longer than the test can take, even on a loaded machine where
        // the test's own task may wait seconds for a thread: the kill always lands mid-send.
        f.fault(#"{"path": "/v2/enqueue", "count": 1, "delay_ms": 120000}"#)
        let outbox = f.directory + "/outbox"
        let started = try Started(["send-event", "--summary", "db down", "--source", "db1", "--dedup-key", "k9", "--outbox", outbox], directory: f.directory)
        try await Self.waitUntil { f.sandbox.shared.withLock { $0.faults.isEmpty } }
        _ = try await started.stop(with: SIGKILL)
        let entries = Outbox(directory: outbox).entries()
        #expect(entries.count == 1 && entries.first?.dedupKey == "k9")
        #expect(entries.first?.uncertain == false, "an alert event is safe to resend")
    }

    /// `pdstep run` stopped mid-command: the command and its children are ended, the script's
    /// private folder is removed, and the exit code is the signal's.
    @Test func aStoppedRunEndsItsCommandsAndRemovesItsFiles() async throws {
        let directory = makeTemporaryDirectory()
        let temporary = directory + "/tmp"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        try """
            - name: long
              sequence:
                commands:
                - script: |
                    sleep 60 &
                    echo $! > \(directory)/child.pid
                    wait
            """.write(toFile: directory + "/job.yaml", atomically: true, encoding: .utf8)
        let started = try Started(["run", "job.yaml"], directory: directory, environment: ["TMPDIR": temporary])
        try await Self.waitUntil { FileManager.default.fileExists(atPath: directory + "/child.pid") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).count == 1, "the script's folder exists while it runs")
        let outcome = try await started.stop(with: SIGTERM)
        #expect(outcome.code == 128 + SIGTERM, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.stderr.contains("stopped by SIGTERM"))
        let pid = Int32(try String(contentsOfFile: directory + "/child.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        try await Self.waitUntil { !Self.alive(pid) }
        #expect(!Self.alive(pid), "the command's child outlived pdstep")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).isEmpty, "the script's folder was left behind")
    }

    /// Running, and not a zombie waiting to be reaped.
    static func alive(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !stat.contains(") Z ")
    }
}
