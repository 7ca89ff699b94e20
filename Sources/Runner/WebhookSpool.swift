#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Values

/// Where `pdstep serve` keeps every event it has accepted, so that none is lost: an event is
/// written (whole, synced) to `events/` before PagerDuty gets its 2xx, moves to `done/` with
/// what its jobs did once they have run, and one still in `events/` when pdstep starts is run
/// then. An event id seen before (PagerDuty redelivers on a timeout) is accepted again and not
/// run twice. The folders are private to the user (0700, files 0600).
public final class WebhookSpool: Sendable {
    public let folder: String
    private let lock = Mutex(())

    /// A spool in `folder`, created if need be.
    public init(folder: String) throws {
        self.folder = folder
        for sub in ["", "/events", "/done", "/executions"] {
            try FileManager.default.createDirectory(atPath: folder + sub, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    /// A file name for an event id: the id when it is plain, else its SHA-256.
    public static func name(_ id: String) -> String {
        let plain = !id.isEmpty && id.count <= 64 && id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
        return plain ? id : SHA256.hex(id)
    }

    /// Keeps `body` for event `id`: true when it is new, false when the id was seen before.
    public func accept(id: String, body: [UInt8]) throws -> Bool {
        try lock.withLock { _ in
            let name = Self.name(id)
            if FileManager.default.fileExists(atPath: "\(folder)/events/\(name).json") || FileManager.default.fileExists(atPath: "\(folder)/done/\(name).json") {
                return false
            }
            try Self.writeDurably(body, to: "\(folder)/events/\(name).json")
            return true
        }
    }

    /// The events accepted and not yet done, oldest first.
    public func pending() -> [String] {
        let events = folder + "/events"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: events)) ?? []).filter { $0.hasSuffix(".json") && !$0.contains(".route") }
        return names.map { String($0.dropLast(5)) }.sorted { a, b in
            let dateA = (try? FileManager.default.attributesOfItem(atPath: "\(events)/\(a).json")[.modificationDate] as? Date) ?? .distantPast
            let dateB = (try? FileManager.default.attributesOfItem(atPath: "\(events)/\(b).json")[.modificationDate] as? Date) ?? .distantPast
            return dateA < dateB
        }
    }

    /// The body of a pending event (by its spool name).
    public func body(_ name: String) -> [UInt8]? {
        FileManager.default.contents(atPath: "\(folder)/events/\(name).json").map(Array.init)
    }

    /// Records that route `index` of a pending event has run (an event whose routes did not all
    /// run before a stop runs only the others at the next start).
    public func finishRoute(_ name: String, index: Int, result: Value) throws {
        try Self.writeDurably(Array(JSONWriter.write(result).utf8), to: "\(folder)/events/\(name).route\(index).json")
    }

    /// What route `index` of a pending event did, when it has run.
    public func routeResult(_ name: String, index: Int) -> Value? {
        FileManager.default.contents(atPath: "\(folder)/events/\(name).route\(index).json").flatMap { try? JSONParser.parse(bytes: Array($0)) }
    }

    /// Records what the event's jobs did and moves it out of the pending ones.
    public func finish(_ name: String, result: Value, routes: Int) throws {
        try lock.withLock { _ in
            try Self.writeDurably(Array(JSONWriter.write(result, options: .pretty).utf8), to: "\(folder)/done/\(name).json")
            try? FileManager.default.removeItem(atPath: "\(folder)/events/\(name).json")
            for index in 0..<routes { try? FileManager.default.removeItem(atPath: "\(folder)/events/\(name).route\(index).json") }
        }
    }

    /// Forgets finished events older than `seconds` (their ids can no longer be told from new
    /// ones: keep them longer than PagerDuty retries a delivery). Answers how many went.
    @discardableResult
    public func prune(olderThan seconds: Double, now: Date = Date()) -> Int {
        Self.removeFiles(in: folder + "/done", olderThan: now.addingTimeInterval(-seconds))
    }

    /// Removes the files of `folder` last changed before `cutoff`; answers how many.
    static func removeFiles(in folder: String, olderThan cutoff: Date) -> Int {
        var removed = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            let path = folder + "/" + name
            guard let changed = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date, changed < cutoff else { continue }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed += 1 }
        }
        return removed
    }

    /// Writes a file whole: a temporary file, synced, renamed over the target, the folder synced.
    static func writeDurably(_ bytes: [UInt8], to path: String, sync: Bool = true) throws {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw JobDefinitionError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else {
                close(descriptor)
                throw JobDefinitionError("cannot write \(temporary): \(String(cString: strerror(errno)))")
            }
            written += count
        }
        if sync { fsync(descriptor) }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw JobDefinitionError("cannot move \(temporary) to \(path): \(String(cString: strerror(errno)))") }
        guard sync else { return }
        let folder = open(Path.deletingLastComponent(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }
}
