#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Settings
import StepKit
import Synchronization
import Values

/// How a step ended.
public enum StepState: String, Sendable {
    case succeeded, failed
    /// Failed, but its error handler succeeded and the workflow went on.
    case recovered
    /// Dry run: nothing was executed.
    case planned
}

/// How a job run ended (Rundeck's execution states).
public enum JobState: String, Sendable {
    case succeeded, failed, timedout
    /// Halted by flow control with a custom status.
    case other
}

/// One thing that happened during a run. The execution log is this stream; renderers turn it
/// into text or JSON lines.
public enum ExecutionEvent: Sendable {
    case jobStarted(job: String, execid: String, attempt: Int, dryRun: Bool)
    /// A message from pdstep itself (ignored fields, retries, notes).
    case note(level: LogLevel, message: String)
    case stepStarted(context: String, total: Int, label: String)
    case log(context: String, level: LogLevel, message: String)
    case dataCaptured(context: String, key: String, value: String)
    case stepFinished(context: String, total: Int, label: String, state: StepState, milliseconds: Double, message: String?)
    case jobFinished(job: String, state: JobState, status: String?, milliseconds: Double, steps: Int, failed: [String])
}

/// Receives the events of a run: the terminal, the JSON log, notifications, a server's
/// execution store. The contract every observer keeps (as swift-log's handlers do):
/// `render` is called synchronously, on the thread that emitted the event, in the order events
/// happen, with secrets already masked; it must be thread-safe and quick (an observer with slow
/// work queues it), and must not emit into the same log.
public protocol ExecutionRenderer: Sendable {
    func render(_ event: ExecutionEvent)
}

/// The execution log of one run: one event stream with any number of observers. It masks
/// secrets in every event once, filters log lines by the job's log level, and hands each event
/// to every observer in the order they were added (swift-log's `MultiplexLogHandler` is the
/// model). Each execution has its own log and so its own `SecretRedactor`.
public final class ExecutionLog: Sendable {
    /// This execution's secrets; every event is masked with it before observers see it.
    public let redactor: SecretRedactor
    private let observers: Mutex<[any ExecutionRenderer]>
    private let threshold = Mutex(LogLevel.normal)

    /// A log with these observers (more can be added with `add`).
    public init(observers: [any ExecutionRenderer], redactor: SecretRedactor) {
        self.observers = Mutex(observers)
        self.redactor = redactor
    }

    /// A log with one observer.
    public convenience init(renderer: any ExecutionRenderer, redactor: SecretRedactor) {
        self.init(observers: [renderer], redactor: redactor)
    }

    /// Adds an observer; it sees the events emitted from now on.
    public func add(_ observer: any ExecutionRenderer) {
        observers.withLock { $0.append(observer) }
    }

    private func deliver(_ event: ExecutionEvent) {
        for observer in observers.withLock({ $0 }) { observer.render(event) }
    }

    /// Log lines above this level are dropped (the job's `loglevel`).
    public func setLevel(_ level: LogLevel) { threshold.withLock { $0 = level } }

    /// The level set with `setLevel`.
    public var level: LogLevel { threshold.withLock { $0 } }

    /// Masks secrets in the event, drops log lines above the level, and hands it to every observer.
    public func emit(_ event: ExecutionEvent) {
        let r: (String) -> String = redactor.redact
        switch event {
        case .log(let context, let level, let message):
            guard level <= threshold.withLock({ $0 }) else { return }
            deliver(.log(context: context, level: level, message: r(message)))
        case .note(let level, let message):
            guard level <= threshold.withLock({ $0 }) else { return }
            deliver(.note(level: level, message: r(message)))
        case .dataCaptured(let context, let key, let value):
            deliver(.dataCaptured(context: context, key: r(key), value: r(value)))
        case .stepStarted(let context, let total, let label):
            deliver(.stepStarted(context: context, total: total, label: r(label)))
        case .stepFinished(let context, let total, let label, let state, let ms, let message):
            deliver(.stepFinished(context: context, total: total, label: r(label), state: state, milliseconds: ms, message: message.map(r)))
        case .jobFinished(let job, let state, let status, let ms, let steps, let failed):
            deliver(.jobFinished(job: job, state: state, status: status.map(r), milliseconds: ms, steps: steps, failed: failed.map(r)))
        case .jobStarted:
            deliver(event)
        }
    }

    /// A `StepLogSink` that writes into this log under a step context.
    public func sink(context: String) -> any StepLogSink { ContextSink(log: self, context: context) }
}

private struct ContextSink: StepLogSink {
    let log: ExecutionLog
    let context: String
    func write(_ level: LogLevel, _ message: String) { log.emit(.log(context: context, level: level, message: message)) }
}

/// Human text: `[2/5] pagerduty-send-event ... ok 84 ms`, log lines indented under their step,
/// and a summary at the end.
public struct TextRenderer: ExecutionRenderer {
    let write: @Sendable (String) -> Void

    /// A renderer writing text through `write`.
    public init(write: @escaping @Sendable (String) -> Void) { self.write = write }

    /// Writes the event as lines for a terminal.
    public func render(_ event: ExecutionEvent) {
        switch event {
        case .jobStarted(let job, let execid, let attempt, let dryRun):
            let retry = attempt > 0 ? " (retry \(attempt))" : ""
            write("\(dryRun ? "dry run of" : "running") job \(job) (execution \(execid))\(retry)\n")
        case .note(let level, let message):
            write("\(level <= .warn ? "\(level == .error ? "error" : "warning"): " : "note: ")\(message)\n")
        case .stepStarted(let context, let total, let label):
            write("[\(context)/\(total)] \(label)\n")
        case .log(_, let level, let message):
            let prefix = level == .error ? "      ! " : level == .warn ? "      ~ " : "        "
            for line in message.split(separator: "\n", omittingEmptySubsequences: false) {
                write(prefix + line + "\n")
            }
        case .dataCaptured(_, let key, let value):
            write("        \(key) = \(value)\n")
        case .stepFinished(let context, let total, let label, let state, let ms, let message):
            let word: String
            switch state {
            case .succeeded: word = "ok"
            case .failed: word = "FAILED"
            case .recovered: word = "failed, handled"
            case .planned: word = "planned"
            }
            var line = "[\(context)/\(total)] \(label) ... \(word) \(formatDuration(ms))"
            if let message, state != .succeeded { line += ": " + message }
            write(line + "\n")
        case .jobFinished(let job, let state, let status, let ms, let steps, let failed):
            let word = status ?? (state == .timedout ? "timed out" : state.rawValue)
            var line = "job \(job) \(word) after \(steps) step\(steps == 1 ? "" : "s") in \(formatDuration(ms))"
            if !failed.isEmpty { line += "; failed: " + failed.joined(separator: ", ") }
            write(line + "\n")
        }
    }
}

/// `84 ms`, `2.3 s`, `1 min 5 s`.
func formatDuration(_ ms: Double) -> String {
    if ms < 1000 { return "\(Int(ms.rounded())) ms" }
    if ms < 60_000 { return Text.fixed(ms / 1000, 1) + " s" }
    return "\(Int(ms / 60_000)) min \(Int(ms.truncatingRemainder(dividingBy: 60_000) / 1000)) s"
}

/// One JSON object per event and line, for log collectors.
public struct JSONLinesRenderer: ExecutionRenderer {
    let write: @Sendable (String) -> Void

    /// A renderer writing JSON lines through `write`.
    public init(write: @escaping @Sendable (String) -> Void) { self.write = write }

    /// Writes the event as one JSON object on a line.
    public func render(_ event: ExecutionEvent) {
        var o = ValueObject()
        o["time"] = .string(Self.timestamp())
        /// `step` is the step's number in its workflow (a number); `path` is where it is, `2/1`
        /// for the first step of the job step 2 runs.
        func place(_ context: String) {
            o["step"] = Int(context.split(separator: "/").last ?? "").map(Value.int) ?? .string(context)
            o["path"] = .string(context)
        }
        switch event {
        case .jobStarted(let job, let execid, let attempt, let dryRun):
            o["event"] = "job_start"; o["job"] = .string(job); o["execid"] = Int(execid).map(Value.int) ?? .string(execid)
            o["attempt"] = .int(attempt); o["dry_run"] = .bool(dryRun)
        case .note(let level, let message):
            o["event"] = "note"; o["level"] = .string(level.description); o["message"] = .string(message)
        case .stepStarted(let context, let total, let label):
            o["event"] = "step_start"; place(context); o["of"] = .int(total); o["label"] = .string(label)
        case .log(let context, let level, let message):
            o["event"] = "log"; place(context); o["level"] = .string(level.description); o["message"] = .string(message)
        case .dataCaptured(let context, let key, let value):
            o["event"] = "data"; place(context); o["key"] = .string(key); o["value"] = .string(value)
        case .stepFinished(let context, let total, let label, let state, let ms, let message):
            o["event"] = "step_end"; place(context); o["of"] = .int(total); o["label"] = .string(label)
            o["state"] = .string(state.rawValue); o["duration_ms"] = .double((ms * 1000).rounded() / 1000)
            if let message { o["message"] = .string(message) }
        case .jobFinished(let job, let state, let status, let ms, let steps, let failed):
            o["event"] = "job_end"; o["job"] = .string(job); o["state"] = .string(state.rawValue)
            if let status { o["status"] = .string(status) }
            o["duration_ms"] = .double((ms * 1000).rounded() / 1000); o["steps"] = .int(steps)
            o["failed"] = .array(failed.map(Value.string))
        }
        write(JSONWriter.write(.object(o)) + "\n")
    }

    static func timestamp() -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date())
    }

    /// The line for a run that could not start (the job file does not read, a setting is
    /// wrong): `{"event": "error", "message", "exit_code"}`, so a reader of the JSON log sees it.
    public static func startFailure(_ message: String, exitCode: Int32) -> String {
        JSONWriter.write(.object(ValueObject([
            ("time", .string(timestamp())), ("event", "error"), ("message", .string(message)), ("exit_code", .int(Int(exitCode))),
        ]))) + "\n"
    }
}
