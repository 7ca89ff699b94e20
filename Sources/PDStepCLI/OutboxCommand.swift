#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
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
            list|flush [--outbox DIR] [--json] [--include-uncertain]

              Every event is written to the outbox before it is sent and removed once PagerDuty
              accepts it, so an entry is an event not confirmed delivered. flush sends entries
              oldest first with their original dedup keys and removes each one only after
              PagerDuty accepted it; several flushes may run at once (each entry is locked).
              Only PagerDuty's own refusal (HTTP 400 with its error body) moves an entry to
              DIR/rejected/; any other failure (network, 5xx, 429, a proxy's page, 3xx, 401, 403)
              keeps it and stops the flush. Entries marked uncertain (change events that may
              have been recorded already) are resent only with --include-uncertain.
              Exit 0 when nothing is left to send; 3 when entries remain for later (the flush
              stopped, or uncertain entries wait); 1 when some were rejected or a file in the
              outbox cannot be read as an entry.
            """,
        options: [
            .value("outbox", "DIR", "the outbox folder (default: pagerduty.outbox.dir)"), .flag("json", "print JSON"),
            .flag("include-uncertain", "also resend entries that may have been recorded already (change events cut off mid-send)"),
        ] + settingsOptions,
        maxPositionals: 1, examples: ["pdstep outbox list --outbox /var/lib/pdstep/outbox", "pdstep outbox flush --outbox /var/lib/pdstep/outbox"]
    ) { arguments, invocation in
        let action = arguments.positionals.first ?? "list"
        let settings = try invocation.settings(arguments)
        guard let folder = arguments.value("outbox") ?? settings.value(KnownSettings.outboxDir.key), !folder.isEmpty else {
            throw UsageError("no outbox: give --outbox DIR or set pagerduty.outbox.dir")
        }
        let directory = Path.resolve(folder, in: invocation.io.directory)
        let outbox = Outbox(directory: directory)
        let io = invocation.io
        switch action {
        case "list":
            let listing = outbox.listing()
            if arguments.has("json") {
                let entries: [Value] = listing.entries.map { entry in
                    .object(ValueObject([
                        ("file", .string(entry.file)), ("created", .string(entry.created)), ("path", .string(entry.path)),
                        ("dedup_key", entry.dedupKey.map(Value.string) ?? .null), ("summary", .string(entry.summary)),
                        ("reason", .string(entry.reason)), ("uncertain", .bool(entry.uncertain)),
                    ]))
                }
                let unreadable: [Value] = listing.unreadable.map { .object(ValueObject([("file", .string($0.file)), ("unreadable", .string($0.reason))])) }
                io.print(JSONWriter.write(.array(entries + unreadable), options: .pretty))
            } else if listing.entries.isEmpty && listing.unreadable.isEmpty {
                io.printError("the outbox \(directory) is empty")
            } else {
                for entry in listing.entries {
                    let kind = entry.path == "/v2/enqueue" ? "alert " : "change"
                    io.print("\(entry.created)  \(kind)  \(entry.dedupKey ?? "-")  \(entry.summary)\(entry.uncertain ? "  [uncertain: may have been recorded already]" : "")")
                }
                for file in listing.unreadable {
                    io.print("UNREADABLE  \(file.file): \(file.reason)")
                }
            }
            return listing.unreadable.isEmpty ? .success : .failed
        case "flush":
            for entry in outbox.entries() {
                if let key = entry.body["routing_key"]?.stringValue { invocation.redactor.register(key) }
            }
            let redactor = invocation.redactor
            let client = try PagerDutyClientFactory(settings: settings).client(credentials: nil, fromEmail: nil) { note in
                io.printError(redactor.redact(note))
            }
            let result = await outbox.flush(with: client, includeUncertain: arguments.has("include-uncertain"))
            let redact: (String) -> String = invocation.redactor.redact
            for file in result.delivered { io.printError("delivered \(file)") }
            for (file, reason) in result.rejected { io.printError("rejected \(file) (moved to rejected/): \(redact(reason))") }
            for file in result.unreadable { io.printError("cannot read \(file.file): \(file.reason); it stays in the outbox until someone looks at it") }
            for file in result.uncertain { io.printError("left \(file): it may have been recorded already; resend it with --include-uncertain, or remove it") }
            if let stopped = result.stopped {
                io.printError("stopped at \(stopped.file) (kept, with \(result.notTried) after it): \(redact(stopped.reason))")
            }
            if !result.skipped.isEmpty { io.printError("\(result.skipped.count) entries are being sent by another process") }
            let kept = (result.stopped == nil ? 0 : 1 + result.notTried) + result.uncertain.count
            io.print("delivered \(result.delivered.count), kept \(kept), rejected \(result.rejected.count), unreadable \(result.unreadable.count)")
            if !result.rejected.isEmpty || !result.unreadable.isEmpty { return .failed }
            return kept == 0 ? .success : .temporary
        default:
            throw UsageError("unknown outbox action '\(action)'; use list or flush")
        }
    }
}
