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
import Synchronization

/// Why a key-storage operation failed. Messages name the path and, where it helps, the file.
public struct KeyStorageError: ReportableError, Sendable {
    /// What kind of failure, so callers can map it to an exit code.
    public enum Kind: Sendable { case invalidPath, notFound, wrongType, unreadable, writeFailed }
    /// What kind of failure (decides the exit code).
    public var kind: Kind
    /// What failed, naming the key path and the file.
    public var description: String

    /// An error of this kind.
    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// A bad path or the wrong kind of key is invalid input; a missing key, an unreadable file or
    /// a failed write (a full disk) is a failure of the machine.
    public var exitCode: ExitCode {
        switch kind {
        case .invalidPath, .wrongType: return .invalidInput
        case .notFound, .unreadable, .writeFailed: return .failed
        }
    }
}

/// Rundeck's file-based key storage: `<base>/content/keys/...` holds the bytes and
/// `<base>/meta/keys/...` a flat JSON object of metadata (`Rundeck-content-type`, ...).
/// A resource exists only when both files exist.
public struct KeyStorage: Sendable {
    /// The content type Rundeck gives passwords (API keys, routing keys, OAuth secrets).
    public static let passwordContentType = "application/x-rundeck-data-password"

    /// The storage folder (holding `content/` and `meta/`).
    public let base: URL
    /// Receives warnings (a key file others can read). Secrets are never passed to it.
    public let warn: @Sendable (String) -> Void

    /// Passwords already read by this storage (a job reads the same key in every step).
    private let cache = PasswordCache()

    /// The storage in folder `base`; `warn` receives warnings about permissions.
    public init(base: String, warn: @escaping @Sendable (String) -> Void = { _ in }) {
        self.base = URL(fileURLWithPath: base, isDirectory: true).standardizedFileURL
        self.warn = warn
    }

    /// One stored resource, as `keys list` shows it (never its value).
    public struct Entry: Sendable, Hashable {
        /// The key path (`keys/pd/api`).
        public var path: String
        /// Its `Rundeck-content-type` (passwords are `application/x-rundeck-data-password`).
        public var contentType: String
    }

    // MARK: Paths

    /// A normalized storage path: leading, trailing and repeated slashes removed, starting with
    /// `keys/`, no `.` or `..` parts. Anything else is refused.
    public static func normalize(_ path: String) throws(KeyStorageError) -> String {
        if isNormal(path) { return path }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        if parts.contains(where: { $0 == ".." || $0 == "." }) {
            throw KeyStorageError(.invalidPath, "invalid key path '\(path)': '.' and '..' are not allowed")
        }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw KeyStorageError(.invalidPath, "invalid key path '\(path.debugDescription.dropFirst().dropLast())': contains a control character")
        }
        guard parts.first == "keys", parts.count >= 2 else {
            throw KeyStorageError(.invalidPath, "invalid key path '\(path)': key paths start with keys/ (for example keys/pd/api)")
        }
        return parts.joined(separator: "/")
    }

    /// Whether `path` is already what `normalize` makes of it (as a job's paths are): `keys/`,
    /// then non-empty segments, none `.` or `..`, no control character. Checked byte by byte,
    /// as each step's key path is normalized.
    private static func isNormal(_ path: String) -> Bool {
        let bytes = path.utf8
        guard bytes.starts(with: "keys/".utf8), bytes.last != UInt8(ascii: "/") else { return false }
        var length = 0
        var dotsOnly = true
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F { return false }
            if byte == UInt8(ascii: "/") {
                if length == 0 || (dotsOnly && length <= 2) { return false }
                length = 0
                dotsOnly = true
            } else {
                length += 1
                dotsOnly = dotsOnly && byte == UInt8(ascii: ".")
            }
        }
        return !(dotsOnly && length <= 2)
    }

    private func contentURL(_ normalized: String) -> URL { base.appendingPathComponent("content/" + normalized) }
    private func metaURL(_ normalized: String) -> URL { base.appendingPathComponent("meta/" + normalized) }

    /// Refuses a file whose real location (after symlinks) is outside the storage folder.
    private func checkInside(_ url: URL, path: String) throws(KeyStorageError) {
        let realBase = Self.realPath(base.path)
        let real = Self.realPath(url.path)
        guard real == realBase || real.hasPrefix(realBase.hasSuffix("/") ? realBase : realBase + "/") else {
            throw KeyStorageError(.invalidPath, "key path '\(path)' leads outside the key storage folder \(base.path) (through a symlink); refusing it")
        }
    }

    /// The canonical path of `path`: symlinks resolved in the longest part that exists, the
    /// rest appended as written.
    static func realPath(_ path: String) -> String {
        var existing = path
        var rest: [String] = []
        while !existing.isEmpty, existing != "/" {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                return ([String(cString: resolved)] + rest.reversed()).joined(separator: "/")
            }
            rest.append(Path.lastComponent(existing))
            existing = Path.deletingLastComponent(existing)
        }
        return path
    }

    // MARK: Reading

    /// The password stored at `path`, as UTF-8 text. Fails when either file is missing, when the
    /// content type is not a password, or when the metadata says the content is encrypted.
    public func readPassword(_ path: String) throws(KeyStorageError) -> String {
        let normalized = try Self.normalize(path)
        if let cached = cache.get(normalized) { return cached }
        let password = try readPasswordFromDisk(normalized)
        cache.set(normalized, password)
        return password
    }

    private func readPasswordFromDisk(_ normalized: String) throws(KeyStorageError) -> String {
        let content = contentURL(normalized)
        let meta = metaURL(normalized)
        // Each file is opened component by component without following symlinks, and what was
        // opened is what is checked and read: a symlink swapped in between a check and the read
        // cannot redirect it.
        guard let contentFile = try openInside("content/" + normalized, path: normalized) else {
            throw KeyStorageError(.notFound, "no key at \(normalized) in key storage \(base.path) (missing \(content.path)); store one with: pdstep keys put \(normalized) --password-stdin")
        }
        defer { close(contentFile) }
        guard let metaFile = try openInside("meta/" + normalized, path: normalized) else {
            throw KeyStorageError(.notFound, "key \(normalized) has no metadata file \(meta.path); write keys with 'pdstep keys put \(normalized) --password-stdin' so both files exist")
        }
        defer { close(metaFile) }
        let metadata = try parseMetadata(try readAll(metaFile, url: meta), url: meta)
        let type = metadata["Rundeck-content-type"] ?? "(none)"
        guard type == Self.passwordContentType else {
            throw KeyStorageError(.wrongType, "key \(normalized) is not a password (its Rundeck-content-type is \(type), expected \(Self.passwordContentType))")
        }
        if metadata.keys.contains(where: { $0.lowercased().contains("encrypt") || $0.lowercased().hasPrefix("jasypt") }) {
            throw KeyStorageError(.wrongType, "key \(normalized) is stored encrypted by a storage converter; pdstep cannot decrypt it. Store it unencrypted in a folder only you can read.")
        }
        var info = stat()
        if fstat(contentFile, &info) == 0, info.st_mode & 0o077 != 0 {
            warn("key file \(content.path) can be read by other users (mode \(String(info.st_mode & 0o777, radix: 8))); fix it with: chmod 600 \(content.path)")
        }
        guard let text = String(bytes: try readAll(contentFile, url: content), encoding: .utf8) else {
            throw KeyStorageError(.unreadable, "key \(normalized) is not UTF-8 text")
        }
        return text
    }

    /// The largest key or metadata file read (a key is a few dozen bytes).
    static let maximumFileBytes = 1 << 20

    /// Opens `relative` below the storage folder for reading: each folder with `O_NOFOLLOW |
    /// O_DIRECTORY` relative to the last, the file with `O_NOFOLLOW`, and the result checked to
    /// be a regular file. nil when something on the way does not exist; a symlink anywhere
    /// below the storage folder is refused. A folder on the way that others may write to, or
    /// that another user owns, gets a warning like a readable key file does.
    private func openInside(_ relative: String, path: String) throws(KeyStorageError) -> Int32? {
        var directory = open(base.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else {
            if errno == ENOENT { return nil }
            throw KeyStorageError(.unreadable, "cannot open the key storage folder \(base.path): \(String(cString: strerror(errno)))")
        }
        checkFolder(directory, path: base.path)
        let parts = relative.split(separator: "/").map(String.init)
        var walked = base.path
        for (index, part) in parts.enumerated() {
            let last = index == parts.count - 1
            let next = openat(directory, part, (last ? O_RDONLY | O_NONBLOCK : O_RDONLY | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC)
            let failure = errno
            close(directory)
            walked += "/" + part
            guard next >= 0 else {
                if failure == ENOENT { return nil }
                if failure == ELOOP || failure == ENOTDIR {
                    throw KeyStorageError(.invalidPath, "key path '\(path)' leads through a symlink or a non-folder at \(walked); symlinks inside the key storage folder are refused")
                }
                throw KeyStorageError(.unreadable, "cannot open \(walked): \(String(cString: strerror(failure)))")
            }
            if last {
                var info = stat()
                guard fstat(next, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                    close(next)
                    throw KeyStorageError(.unreadable, "\(walked) is not a regular file")
                }
                return next
            }
            checkFolder(next, path: walked)
            directory = next
        }
        close(directory)
        return nil
    }

    private func checkFolder(_ fd: Int32, path: String) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return }
        if info.st_mode & 0o002 != 0 && info.st_mode & S_ISVTX == 0 {
            warn("key storage folder \(path) can be written by any user, who could replace a key; fix it with: chmod o-w \(path)")
        } else if info.st_uid != geteuid() && info.st_uid != 0 {
            warn("key storage folder \(path) belongs to another user (uid \(info.st_uid)), who could replace a key")
        }
    }

    private func readAll(_ fd: Int32, url: URL) throws(KeyStorageError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw KeyStorageError(.unreadable, "cannot read \(url.path): \(String(cString: strerror(errno)))") }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
            if bytes.count > Self.maximumFileBytes {
                throw KeyStorageError(.unreadable, "\(url.path) is larger than \(Self.maximumFileBytes >> 20) MB; it is not a key")
            }
        }
    }

    private func readMetadata(_ url: URL, path: String) throws(KeyStorageError) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw KeyStorageError(.unreadable, "cannot read key metadata \(url.path): permission denied")
        }
        return try parseMetadata(Array(data), url: url)
    }

    private func parseMetadata(_ bytes: [UInt8], url: URL) throws(KeyStorageError) -> [String: String] {
        guard case .object(let object)? = try? JSONParser.parse(bytes: bytes) else {
            throw KeyStorageError(.unreadable, "key metadata \(url.path) is not a JSON object")
        }
        var metadata: [String: String] = [:]
        for entry in object {
            switch entry.value {
            case .string(let text): metadata[entry.key] = text
            case .int, .double, .bool: metadata[entry.key] = entry.value.text
            default: break
            }
        }
        return metadata
    }

    // MARK: Writing

    /// Stores `secret` as a password at `path`: content and metadata each written to a temporary
    /// file and renamed into place, files 0600, folders 0700.
    public func putPassword(_ path: String, secret: [UInt8], now: Date = Date()) throws(KeyStorageError) {
        let normalized = try Self.normalize(path)
        let content = contentURL(normalized)
        let meta = metaURL(normalized)
        for url in [content, meta] {
            try checkInside(url, path: normalized)
            try makeDirectories(for: url, path: normalized)
            try checkInside(url, path: normalized)
        }
        let stamp = now.formatted(.iso8601)
        var created = stamp
        if let old = try? readMetadata(meta, path: normalized), let earlier = old["Rundeck-content-creation-time"] {
            created = earlier
        }
        let metadata: [(String, String)] = [
            ("Rundeck-content-type", Self.passwordContentType),
            ("Rundeck-data-type", "password"),
            ("Rundeck-content-mask", "content"),
            ("Rundeck-content-size", String(secret.count)),
            ("Rundeck-content-creation-time", created),
            ("Rundeck-content-modify-time", stamp),
        ]
        let json = "{" + metadata.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",") + "}"
        try writeAtomically(secret, to: content)
        try writeAtomically(Array(json.utf8), to: meta)
        cache.remove(normalized)
    }

    /// Removes the resource at `path` (both files). Fails when it does not exist.
    public func delete(_ path: String) throws(KeyStorageError) {
        let normalized = try Self.normalize(path)
        let content = contentURL(normalized)
        let meta = metaURL(normalized)
        try checkInside(content, path: normalized)
        try checkInside(meta, path: normalized)
        let fm = FileManager.default
        guard fm.fileExists(atPath: content.path) || fm.fileExists(atPath: meta.path) else {
            throw KeyStorageError(.notFound, "no key at \(normalized) in key storage \(base.path)")
        }
        cache.remove(normalized)
        for url in [content, meta] where fm.fileExists(atPath: url.path) {
            guard unlink(url.path) == 0 else {
                throw KeyStorageError(.writeFailed, "cannot delete \(url.path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Every resource at or below `prefix` (default `keys`), sorted by path.
    public func list(_ prefix: String = "keys") throws(KeyStorageError) -> [Entry] {
        let normalizedPrefix: String
        if prefix.split(separator: "/").count <= 1 {
            guard prefix.split(separator: "/").first.map({ $0 == "keys" }) ?? true else {
                throw KeyStorageError(.invalidPath, "invalid key path '\(prefix)': key paths start with keys/")
            }
            normalizedPrefix = "keys"
        } else {
            normalizedPrefix = try Self.normalize(prefix)
        }
        let root = contentURL(normalizedPrefix)
        try checkInside(root, path: normalizedPrefix)
        let fm = FileManager.default
        var isDirectory = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDirectory) else { return [] }
        var paths: [String] = []
        if isDirectory {
            let contentRoot = base.appendingPathComponent("content").path
            for relative in (try? fm.subpathsOfDirectory(atPath: root.path)) ?? [] {
                var childIsDirectory = false
                let full = root.appendingPathComponent(relative).path
                if fm.fileExists(atPath: full, isDirectory: &childIsDirectory), !childIsDirectory {
                    paths.append(String(full.dropFirst(contentRoot.count + 1)))
                }
            }
        } else {
            paths = [normalizedPrefix]
        }
        return paths.sorted().compactMap { path in
            let meta = metaURL(path)
            guard fm.fileExists(atPath: meta.path) else { return Entry(path: path, contentType: "(no metadata)") }
            let type = (try? readMetadata(meta, path: path))?["Rundeck-content-type"] ?? "(unknown)"
            return Entry(path: path, contentType: type)
        }
    }

    private func makeDirectories(for file: URL, path: String) throws(KeyStorageError) {
        let directory = file.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw KeyStorageError(.writeFailed, "cannot create folder \(directory.path): \(error)")
        }
    }

    private func writeAtomically(_ bytes: [UInt8], to url: URL) throws(KeyStorageError) {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw KeyStorageError(.writeFailed, "cannot write \(temporary.path): \(String(cString: strerror(errno)))")
        }
        var written = 0
        var failed = false
        bytes.withUnsafeBytes { buffer in
            guard let start = buffer.baseAddress else { return }
            while written < buffer.count {
                let n = write(fd, start + written, buffer.count - written)
                if n <= 0 { failed = true; return }
                written += n
            }
        }
        if failed || fchmod(fd, 0o600) != 0 || fsync(fd) != 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(temporary.path)
            throw KeyStorageError(.writeFailed, "cannot write \(url.path): \(reason)")
        }
        close(fd)
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw KeyStorageError(.writeFailed, "cannot write \(url.path): \(reason)")
        }
    }
}

/// Passwords read by a key storage, by normalized path.
final class PasswordCache: Sendable {
    private let values = Mutex<[String: String]>([:])
    func get(_ path: String) -> String? { values.withLock { $0[path] } }
    func set(_ path: String, _ value: String) { values.withLock { $0[path] = value } }
    func remove(_ path: String) { values.withLock { _ = $0.removeValue(forKey: path) } }
}
