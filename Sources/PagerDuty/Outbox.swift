import Foundation
import Values

/// Events that could not be delivered, kept on disk until PagerDuty accepts them, so that no
/// page is ever lost.
///
/// Each entry is one file holding the exact request body (the same dedup key on every resend),
/// written atomically (temporary file, fsync, rename) with mode 0600 in a 0700 folder, because
/// it holds the routing key. `flush` resends entries oldest first, locking each one so several
/// flushes (cron, a job, a person) can run at once, and removes an entry only after PagerDuty
/// accepted it. A flush killed at any point leaves the entry to be sent again; for alert events
/// the dedup key makes that harmless.
public struct Outbox: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// One queued event.
    public struct Entry: Sendable {
        public var file: String
        public var created: String
        /// The request path (`/v2/enqueue` or `/v2/change/enqueue`).
        public var path: String
        public var body: Value
        public var reason: String
        public var dedupKey: String? { body["dedup_key"]?.stringValue }
        public var summary: String { body["payload"]?["summary"]?.stringValue ?? "" }
    }

    public struct OutboxError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Queues a request. Answers the entry's file name.
    @discardableResult
    public func enqueue(_ request: PagerDutyRequest, reason: String) throws(OutboxError) -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw OutboxError(description: "cannot create the outbox folder \(directory): \(error.localizedDescription)")
        }
        let stamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date())
        let key = request.body?["dedup_key"]?.stringValue.map { String($0.prefix(40).map { $0.isLetter || $0.isNumber ? $0 : "_" }) } ?? "change"
        let name = "\(Self.sortableNow())-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(key).json"
        let entry = Value.object(ValueObject([
            ("created", .string(stamp)), ("path", .string(request.path)), ("reason", .string(reason)), ("body", request.body ?? .null),
        ]))
        try writeAtomically(Array(JSONWriter.write(entry).utf8), name: name)
        return name
    }

    /// The entries, oldest first.
    public func entries() -> [Entry] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        return names.compactMap { name in
            guard let data = FileManager.default.contents(atPath: directory + "/" + name), let value = try? JSONParser.parse(bytes: Array(data)) else { return nil }
            return Entry(file: name, created: value["created"]?.text ?? "", path: value["path"]?.text ?? "/v2/enqueue", body: value["body"] ?? .null, reason: value["reason"]?.text ?? "")
        }
    }

    /// What one flush did.
    public struct FlushResult: Sendable {
        public var delivered: [String] = []
        public var kept: [(file: String, reason: String)] = []
        public var rejected: [(file: String, reason: String)] = []
        public var skipped: [String] = []
    }

    /// Resends every entry, oldest first. Delivered entries are removed; entries PagerDuty
    /// refuses for good (4xx other than 429) move to `rejected/`; temporary failures stay.
    public func flush(with client: PagerDutyClient) async -> FlushResult {
        var result = FlushResult()
        for entry in entries() {
            let path = directory + "/" + entry.file
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { continue }  // taken by another flush
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
            } catch where error.kind == .temporary || error.kind == .rateLimited {
                result.kept.append((entry.file, error.message))
            } catch {
                let rejected = directory + "/rejected"
                try? FileManager.default.createDirectory(atPath: rejected, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                rename(path, rejected + "/" + entry.file)
                result.rejected.append((entry.file, error.description))
            }
        }
        return result
    }

    private static func sortableNow() -> String {
        let nanos = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        return String(format: "%016llu", nanos)
    }

    private func writeAtomically(_ bytes: [UInt8], name: String) throws(OutboxError) {
        let temporary = directory + "/.\(name).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw OutboxError(description: "cannot write to the outbox \(directory): \(String(cString: strerror(errno)))") }
        var written = 0
        var failure: String?
        bytes.withUnsafeBytes { buffer in
            guard let start = buffer.baseAddress else { return }
            while written < buffer.count {
                let n = write(fd, start + written, buffer.count - written)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { failure = String(cString: strerror(errno)); return }
                written += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if let failure {
            unlink(temporary)
            throw OutboxError(description: "cannot write to the outbox \(directory): \(failure)")
        }
        guard rename(temporary, directory + "/" + name) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw OutboxError(description: "cannot write to the outbox \(directory): \(reason)")
        }
        let dir = open(directory, O_RDONLY)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }
}
