import Foundation
import PagerDuty
import PagerDutyStepKit
import Settings
import StepKit
import Values

extension PDStep {
    static let outboxCommand = Command(
        name: "outbox",
        summary: "List or send the events kept in the outbox (events that could not be delivered).",
        usage: """
            list|flush [--outbox DIR] [--json]

              flush sends them oldest first with their original dedup keys and removes each one only
              after PagerDuty accepted it; several flushes may run at once (each entry is locked).
              Entries PagerDuty refuses for good move to DIR/rejected/. Exit 0 when the outbox is
              empty afterwards, 3 when entries remain for later, 1 when some were rejected.
            """,
        options: [.value("outbox", "DIR", "the outbox folder (default: pagerduty.outbox.dir)"), .flag("json", "print JSON")] + settingsOptions,
        maxPositionals: 1
    ) { arguments, invocation in
        let action = arguments.positionals.first ?? "list"
        let settings = try invocation.settings(arguments)
        guard let folder = arguments.value("outbox") ?? settings.value(KnownSettings.outboxDir.key), !folder.isEmpty else {
            throw UsageError("no outbox: give --outbox DIR or set pagerduty.outbox.dir")
        }
        let directory = folder.hasPrefix("/") ? folder : (invocation.io.directory as NSString).appendingPathComponent(folder)
        let outbox = Outbox(directory: directory)
        let io = invocation.io
        switch action {
        case "list":
            let entries = outbox.entries()
            if arguments.has("json") {
                io.print(JSONWriter.write(.array(entries.map { entry in
                    .object(ValueObject([
                        ("file", .string(entry.file)), ("created", .string(entry.created)), ("path", .string(entry.path)),
                        ("dedup_key", entry.dedupKey.map(Value.string) ?? .null), ("summary", .string(entry.summary)), ("reason", .string(entry.reason)),
                    ]))
                }), options: .pretty))
            } else if entries.isEmpty {
                io.printError("the outbox \(directory) is empty")
            } else {
                for entry in entries {
                    io.print("\(entry.created)  \(entry.path == "/v2/enqueue" ? "alert " : "change")  \(entry.dedupKey ?? "-")  \(entry.summary)")
                }
            }
            return .success
        case "flush":
            let log = LogForwarder(io: io, redactor: invocation.redactor)
            let context = StepContext(settings: settings, keyStorage: invocation.keyStorage(arguments, settings: settings), redactor: invocation.redactor, log: log)
            for entry in outbox.entries() {
                if let key = entry.body["routing_key"]?.stringValue { invocation.redactor.register(key) }
            }
            let client = try context.eventsClient()
            let result = await outbox.flush(with: client)
            for file in result.delivered { io.printError("delivered \(file)") }
            for (file, reason) in result.kept { io.printError("kept \(file): \(invocation.redactor.redact(reason))") }
            for (file, reason) in result.rejected { io.printError("rejected \(file) (moved to rejected/): \(invocation.redactor.redact(reason))") }
            if !result.skipped.isEmpty { io.printError("\(result.skipped.count) entries are being sent by another flush") }
            io.print("delivered \(result.delivered.count), kept \(result.kept.count), rejected \(result.rejected.count)")
            if !result.rejected.isEmpty { return .failed }
            return result.kept.isEmpty ? .success : .temporary
        default:
            throw UsageError("unknown outbox action '\(action)'; use list or flush")
        }
    }
}

/// Log lines from a client used outside a step, to stderr.
struct LogForwarder: StepLogSink {
    let io: CommandIO
    let redactor: SecretRedactor
    func write(_ level: LogLevel, _ message: String) { io.printError(redactor.redact(message)) }
}
