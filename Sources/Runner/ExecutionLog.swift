import Foundation
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

/// Renders events for people or machines.
public protocol ExecutionRenderer: Sendable {
    func render(_ event: ExecutionEvent)
}

/// The execution log: redacts secrets from every event, filters log lines by the job's log
/// level, and hands events to the renderer.
public final class ExecutionLog: Sendable {
    public let redactor: SecretRedactor
    private let renderer: any ExecutionRenderer
    private let threshold = Mutex(LogLevel.normal)

    public init(renderer: any ExecutionRenderer, redactor: SecretRedactor) {
        self.renderer = renderer
        self.redactor = redactor
    }

    /// Log lines above this level are dropped (the job's `loglevel`).
    public func setLevel(_ level: LogLevel) { threshold.withLock { $0 = level } }

    public func emit(_ event: ExecutionEvent) {
        let r: (String) -> String = redactor.redact
        switch event {
        case .log(let context, let level, let message):
            guard level <= threshold.withLock({ $0 }) else { return }
            renderer.render(.log(context: context, level: level, message: r(message)))
        case .note(let level, let message):
            guard level <= threshold.withLock({ $0 }) else { return }
            renderer.render(.note(level: level, message: r(message)))
        case .dataCaptured(let context, let key, let value):
            renderer.render(.dataCaptured(context: context, key: r(key), value: r(value)))
        case .stepStarted(let context, let total, let label):
            renderer.render(.stepStarted(context: context, total: total, label: r(label)))
        case .stepFinished(let context, let total, let label, let state, let ms, let message):
            renderer.render(.stepFinished(context: context, total: total, label: r(label), state: state, milliseconds: ms, message: message.map(r)))
        case .jobFinished(let job, let state, let status, let ms, let steps, let failed):
            renderer.render(.jobFinished(job: job, state: state, status: status.map(r), milliseconds: ms, steps: steps, failed: failed.map(r)))
        case .jobStarted:
            renderer.render(event)
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

    public init(write: @escaping @Sendable (String) -> Void) { self.write = write }

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
            var line = "job \(job) \(status ?? state.rawValue) after \(steps) step\(steps == 1 ? "" : "s") in \(formatDuration(ms))"
            if !failed.isEmpty { line += "; failed: " + failed.joined(separator: ", ") }
            write(line + "\n")
        }
    }
}

/// `84 ms`, `2.3 s`, `1 min 5 s`.
func formatDuration(_ ms: Double) -> String {
    if ms < 1000 { return "\(Int(ms.rounded())) ms" }
    if ms < 60_000 { return String(format: "%.1f s", ms / 1000) }
    return "\(Int(ms / 60_000)) min \(Int(ms.truncatingRemainder(dividingBy: 60_000) / 1000)) s"
}

/// One JSON object per event and line, for log collectors.
public struct JSONLinesRenderer: ExecutionRenderer {
    let write: @Sendable (String) -> Void

    public init(write: @escaping @Sendable (String) -> Void) { self.write = write }

    public func render(_ event: ExecutionEvent) {
        var o = ValueObject()
        o["time"] = .string(Self.timestamp())
        switch event {
        case .jobStarted(let job, let execid, let attempt, let dryRun):
            o["event"] = "job_start"; o["job"] = .string(job); o["execid"] = .string(execid)
            o["attempt"] = .int(attempt); o["dry_run"] = .bool(dryRun)
        case .note(let level, let message):
            o["event"] = "note"; o["level"] = .string(level.description); o["message"] = .string(message)
        case .stepStarted(let context, let total, let label):
            o["event"] = "step_start"; o["step"] = .string(context); o["of"] = .int(total); o["label"] = .string(label)
        case .log(let context, let level, let message):
            o["event"] = "log"; o["step"] = .string(context); o["level"] = .string(level.description); o["message"] = .string(message)
        case .dataCaptured(let context, let key, let value):
            o["event"] = "data"; o["step"] = .string(context); o["key"] = .string(key); o["value"] = .string(value)
        case .stepFinished(let context, let total, let label, let state, let ms, let message):
            o["event"] = "step_end"; o["step"] = .string(context); o["of"] = .int(total); o["label"] = .string(label)
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
}
