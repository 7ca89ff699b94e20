import FoundationEssentials
import StepKit

#if canImport(Glibc)
    import Glibc
#endif

/// A temporary folder only this user can enter, for one step's script. Made by `mkdtemp`
/// (a fresh, unguessable name; it fails rather than reuse anything that exists), checked to be
/// a directory owned by us with mode 0700, and removed when the step ends, whether it
/// succeeded, failed or timed out, and when pdstep is stopped by a signal.
final class PrivateFolder: Sendable {
    let path: String
    private let token: ProcessTermination.Token

    /// Makes the folder under `$TMPDIR` (else `/tmp`).
    init(environment: [String: String]) throws(StepError) {
        var base = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        var template = Array((base + "/pdstep-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw StepError(.failed, "cannot make a private temporary folder in \(base): \(String(cString: strerror(errno)))")
        }
        let path = String(cString: made)
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else {
            throw StepError(.failed, "the temporary folder \(path) is not a private folder of this user; refusing to write a script there")
        }
        self.path = path
        token = ProcessTermination.holdFolder(path)
    }

    /// Removes the folder and everything in it.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
        ProcessTermination.release(token)
    }
}
