import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Values

/// The executions `pdstep serve` ran, kept in the spool's `executions/` folder: for each, a
/// record (`ID.json`: the job, the event, how it ended), its text log (`ID.log`) and its JSON
/// log (`ID.jsonl`), written as the run goes so that a running execution can be watched. The
/// id is the execution's `${job.execid}`; a retry's own id points to the first (`ID.alias`).
/// Files older than the retention are removed.
public final class ServeExecutions: Sendable {
    public let folder: String

    /// The store in `folder` (the spool's `executions/`), created if need be.
    public init(folder: String) throws {
        self.folder = folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Whether `id` can name an execution's files (the ids are numbers).
    public static func isID(_ id: String) -> Bool { !id.isEmpty && id.count <= 20 && id.allSatisfy(\.isASCII) && id.allSatisfy(\.isNumber) }

    /// Writes (or rewrites) an execution's record, whole (renamed into place); `sync`: on disk
    /// before it returns. serve does not sync them: what a crash must not lose is the event,
    /// which the spool keeps until its runs have ended, and a process crash loses no write.
    public func write(_ record: Value, sync: Bool = true) {
        guard let id = record["id"]?.stringValue, Self.isID(id) else { return }
        try? WebhookSpool.writeDurably(Array(JSONWriter.write(record, options: .pretty).utf8), to: "\(folder)/\(id).json", sync: sync)
    }

    /// Makes a retry's execution id lead to the first attempt's record.
    public func alias(_ id: String, to first: String) {
        guard Self.isID(id), Self.isID(first), id != first else { return }
        try? WebhookSpool.writeDurably(Array(first.utf8), to: "\(folder)/\(id).alias")
    }

    /// The record of execution `id` (or of the execution a retry id belongs to).
    public func record(_ id: String) -> Value? {
        guard Self.isID(id) else { return nil }
        var id = id
        if let first = FileManager.default.contents(atPath: "\(folder)/\(id).alias").map({ String(decoding: $0, as: UTF8.self) }), Self.isID(first) {
            id = first
        }
        return FileManager.default.contents(atPath: "\(folder)/\(id).json").flatMap { try? JSONParser.parse(bytes: Array($0)) }
    }

    /// The newest `limit` records, newest first.
    public func newest(_ limit: Int) -> [Value] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let ids = names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.filter(Self.isID)
        return ids.sorted { ($0.count, $0) > ($1.count, $1) }.prefix(limit).compactMap(record)
    }

    /// The path of an execution's text (`log`) or JSON (`jsonl`) log.
    public func logPath(_ id: String, _ kind: String) -> String? {
        Self.isID(id) ? "\(folder)/\(id).\(kind)" : nil
    }

    /// Removes the files of executions older than `seconds`; answers how many files went.
    @discardableResult
    public func prune(olderThan seconds: Double, now: Date = Date()) -> Int {
        WebhookSpool.removeFiles(in: folder, olderThan: now.addingTimeInterval(-seconds))
    }
}

/// Appends an execution's log lines to a file as they come (O_APPEND: each write whole).
public final class LogFile: Sendable {
    private let descriptor: Mutex<Int32>

    /// Opens (creating, private to the user) `path` for appending; nil when it cannot.
    public init?(path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        descriptor = Mutex(fd)
    }

    public func append(_ text: String) {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            var bytes = Array(text.utf8)
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
                if n <= 0 { return }
                done += n
            }
        }
    }

    /// Syncs and closes the file; later appends are dropped.
    public func close() {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            fsync(fd)
            _ = Glibc.close(fd)
            fd = -1
        }
    }
}
