#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Values

/// Events not confirmed delivered, kept on disk until PagerDuty accepts them, so that no page is
/// ever lost, whatever stops pdstep.
///
/// An event is written here *before* its first attempt (`hold`) and removed only after a 2xx
/// (`delivered`); so an event whose sender was killed, even with SIGKILL, is still here. Each
/// entry is one file holding the exact request body (the same dedup key on every resend),
/// written atomically (temporary file, fsync, rename) with mode 0600 in a 0700 folder, because it
/// holds the routing key. The sender keeps its entry locked while it sends, and `flush` skips
/// locked entries, so several senders and flushes (cron, a job, a person) can run at once.
///
/// An entry is *uncertain* when it may have been recorded already: a change event (no dedup
/// key) whose send was cut off or failed after the request went out. Resending an alert event is
/// harmless (its dedup key updates the same alert); resending an uncertain change event could
/// record it twice, so `flush` leaves those until asked (`includeUncertain`).
public struct Outbox: Sendable {
    /// The outbox folder.
    public let directory: String

    /// The outbox in `directory` (made on first write, mode 0700).
    public init(directory: String) {
        self.directory = directory
    }

    /// One queued event.
    public struct Entry: Sendable {
        /// The entry's file name in the outbox.
        public var file: String
        /// When it was written (ISO 8601).
        public var created: String
        /// The request path (`/v2/enqueue` or `/v2/change/enqueue`).
        public var path: String
        /// The exact request body, sent again as it is.
        public var body: Value
        /// Why it is here (the last failure, or that it was being sent).
        public var reason: String
        /// It may have been recorded already; see `Outbox`.
        public var uncertain: Bool
        /// The alert's dedup key (nil for a change event).
        public var dedupKey: String? { body["dedup_key"]?.stringValue }
        /// The event's summary, for listings.
        public var summary: String { body["payload"]?["summary"]?.stringValue ?? "" }
    }

    /// A file in the outbox that is not a readable entry, and why.
    public struct Unreadable: Sendable {
        /// The file's name in the outbox.
        public var file: String
        /// Why it cannot be read.
        public var reason: String
    }

    /// What the outbox holds.
    public struct Listing: Sendable {
        /// Readable entries, oldest first.
        public var entries: [Entry] = []
        /// Files that are not readable entries.
        public var unreadable: [Unreadable] = []
    }

    /// The outbox could not be written or read.
    public struct OutboxError: ReportableError, Sendable {
        /// The outbox folder cannot be written or read: a failure of the machine.
        public var exitCode: ExitCode { .failed }
        /// What failed, naming the folder.
        public var description: String
    }

    /// An event written before its first attempt and locked while it is being sent.
    public final class Held: Sendable {
        /// The entry's file name.
        public let file: String
        /// The entry's full path.
        public let path: String
        let request: PagerDutyRequest
        private let descriptor: Int32

        init(file: String, path: String, request: PagerDutyRequest, descriptor: Int32) {
            self.file = file
            self.path = path
            self.request = request
            self.descriptor = descriptor
        }

        deinit { close(descriptor) }
    }

    /// Writes `request` before its first attempt; the entry stays locked until `delivered`,
    /// `keep` or `discard`. Uncertain from the start when it has no dedup key (if pdstep dies
    /// mid-send, nobody knows whether it arrived).
    public func hold(_ request: PagerDutyRequest) throws(OutboxError) -> Held {
        let name = Self.newName(request)
        let uncertain = request.body?["dedup_key"]?.stringValue == nil
        let fd = try write(request, reason: "being sent by pdstep (process \(getpid())); not confirmed delivered", uncertain: uncertain, name: name, keepLocked: true)
        return Held(file: name, path: directory + "/" + name, request: request, descriptor: fd)
    }

    /// PagerDuty accepted it: the entry goes.
    public func delivered(_ held: Held) {
        unlink(held.path)
        syncDirectory()
    }

    /// It was not delivered and must not be resent (PagerDuty refused it for good): the entry goes.
    public func discard(_ held: Held) { delivered(held) }

    /// It was not delivered: the entry stays, with the reason, for `flush`.
    public func keep(_ held: Held, reason: String, uncertain: Bool) throws(OutboxError) {
        _ = try write(held.request, reason: reason, uncertain: uncertain, name: held.file, keepLocked: false)
    }

    /// Queues a request that is not being sent now. Answers the entry's file name.
    @discardableResult
    public func enqueue(_ request: PagerDutyRequest, reason: String, uncertain: Bool = false) throws(OutboxError) -> String {
        let name = Self.newName(request)
        _ = try write(request, reason: reason, uncertain: uncertain, name: name, keepLocked: false)
        return name
    }

    /// The entries, oldest first, and the files that cannot be read as entries.
    public func listing() -> Listing {
        var listing = Listing()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        for name in names {
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else {
                // Removed by a flush between listing and reading, or not readable.
                if FileManager.default.fileExists(atPath: directory + "/" + name) {
                    listing.unreadable.append(Unreadable(file: name, reason: "cannot be read (permissions?)"))
                }
                continue
            }
            let value: Value
            do {
                value = try JSONParser.parse(bytes: Array(data), file: name)
            } catch {
                listing.unreadable.append(Unreadable(file: name, reason: data.isEmpty ? "is empty" : "is not valid JSON (truncated?): \(error.description)"))
                continue
            }
            guard case .object(let body)? = value["body"], let path = value["path"]?.stringValue, path.hasPrefix("/v2/") else {
                listing.unreadable.append(Unreadable(file: name, reason: "is not an outbox entry (no request path and body)"))
                continue
            }
            listing.entries.append(Entry(
                file: name, created: value["created"]?.text ?? "", path: path, body: .object(body), reason: value["reason"]?.text ?? "",
                uncertain: value["uncertain"]?.boolValue ?? false))
        }
        return listing
    }

    /// The readable entries, oldest first.
    public func entries() -> [Entry] { listing().entries }

    /// What one flush did.
    public struct FlushResult: Sendable {
        /// Entries PagerDuty accepted (now removed).
        public var delivered: [String] = []
        /// Entries PagerDuty refused for good (a 400 with its own error body), now in `rejected/`.
        public var rejected: [(file: String, reason: String)] = []
        /// Why the flush stopped early (the entry it was on stays, as do all after it).
        public var stopped: (file: String, reason: String)?
        /// Entries another sender or flush holds.
        public var skipped: [String] = []
        /// Uncertain entries left alone (no `includeUncertain`).
        public var uncertain: [String] = []
        /// Files that could not be read (left in place).
        public var unreadable: [Unreadable] = []
        /// Entries not reached because the flush stopped.
        public var notTried: Int = 0
    }

    /// Resends entries, oldest first. Delivered entries are removed. Only PagerDuty's own refusal
    /// (HTTP 400 with its JSON error body) moves an entry to `rejected/`: anything else (a
    /// network error, 5xx or 429 after the retries, a proxy's HTML page, a 3xx, 401 or 403, any
    /// other 4xx) keeps it and stops the flush, since the next entries would meet the same.
    public func flush(with client: PagerDutyClient, includeUncertain: Bool = false) async -> FlushResult {
        var result = FlushResult()
        let listing = listing()
        result.unreadable = listing.unreadable
        for (index, entry) in listing.entries.enumerated() {
            if entry.uncertain && !includeUncertain {
                result.uncertain.append(entry.file)
                continue
            }
            let path = directory + "/" + entry.file
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }  // delivered by another flush meanwhile
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                result.skipped.append(entry.file)
                continue
            }
            // Another flush may have sent and removed it between listing and locking.
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let request = PagerDutyRequest(api: .events, method: "POST", path: entry.path, body: entry.body, idempotent: entry.dedupKey != nil)
            do {
                _ = try await client.send(request, pacingKey: entry.body["routing_key"]?.stringValue)
                unlink(path)
                result.delivered.append(entry.file)
            } catch where error.isPagerDutyRefusal {
                let rejected = directory + "/rejected"
                try? FileManager.default.createDirectory(atPath: rejected, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                rename(path, rejected + "/" + entry.file)
                result.rejected.append((entry.file, error.description))
            } catch {
                result.stopped = (entry.file, error.description)
                result.notTried = listing.entries.count - index - 1
                break
            }
        }
        syncDirectory()
        return result
    }

    private static func newName(_ request: PagerDutyRequest) -> String {
        let key = request.body?["dedup_key"]?.stringValue.map { String($0.prefix(40).map { $0.isLetter || $0.isNumber ? $0 : "_" }) } ?? "change"
        return "\(sortableNow())-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(key).json"
    }

    private static func sortableNow() -> String {
        let nanos = UInt64(max(0, Date().timeIntervalSince1970) * 1_000_000)
        return Text.padded(nanos, width: 16)
    }

    /// Writes an entry atomically under `name`; with `keepLocked`, answers a descriptor holding
    /// an exclusive lock on it (taken before the entry becomes visible), else -1.
    private func write(_ request: PagerDutyRequest, reason: String, uncertain: Bool, name: String, keepLocked: Bool) throws(OutboxError) -> Int32 {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw OutboxError(description: "cannot create the outbox folder \(directory): \(Text.reason(error))")
        }
        let entry = Value.object(ValueObject([
            ("created", .string(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date()))), ("path", .string(request.path)),
            ("reason", .string(reason)), ("uncertain", .bool(uncertain)), ("body", request.body ?? .null),
        ]))
        let bytes = Array(JSONWriter.write(entry).utf8)
        let temporary = directory + "/.\(name).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OutboxError(description: "cannot write to the outbox \(directory): \(String(cString: strerror(errno)))") }
        var written = 0
        var failure: String?
        bytes.withUnsafeBytes { buffer in
            guard let start = buffer.baseAddress else { return }
            while written < buffer.count {
                let n = Glibc.write(fd, start + written, buffer.count - written)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { failure = String(cString: strerror(errno)); return }
                written += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if failure == nil && keepLocked && flock(fd, LOCK_EX) != 0 { failure = String(cString: strerror(errno)) }
        if failure == nil && rename(temporary, directory + "/" + name) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            close(fd)
            unlink(temporary)
            throw OutboxError(description: "cannot write to the outbox \(directory): \(failure)")
        }
        syncDirectory()
        if keepLocked { return fd }
        close(fd)
        return -1
    }

    private func syncDirectory() {
        let dir = open(directory, O_RDONLY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }
}
