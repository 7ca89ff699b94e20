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
import Settings
import StepKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a local command in its own process group, streaming its output lines, and kills the
/// whole group when the surrounding task is cancelled (job timeout), so that no grandchild
/// (`sh -c "sleep 30"`) outlives the job.
enum LocalCommand {
    struct Outcome {
        var exitCode: Int32
        /// The process was killed by a signal (the code is then the signal number).
        var signalled: Bool
    }

    struct SpawnError: ReportableError {
        var exitCode: ExitCode { .failed }
        var description: String
    }

    /// Runs `arguments` (argv; the first is the program's path) with `environment` in
    /// `directory`, calling `onStdout` and `onStderr` for each line (without its line break).
    static func run(
        _ arguments: [String], environment: [String: String], directory: String,
        onStdout: @escaping @Sendable (String) -> Void, onStderr: @escaping @Sendable (String) -> Void
    ) async throws -> Outcome {
        let (pid, stdout, stderr) = try spawn(arguments, environment: environment, directory: directory)
        let held = ProcessTermination.holdProcessGroup(pid)
        defer { ProcessTermination.release(held) }
        let readers = DispatchGroup()
        for (fd, handler) in [(stdout, onStdout), (stderr, onStderr)] {
            readers.enter()
            startThread {
                streamLines(fd, handler)
                close(fd)
                readers.leave()
            }
        }
        let child = pid
        let waited: Int32 = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                startThread {
                    var status: Int32 = 0
                    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
                    continuation.resume(returning: status)
                }
            }
        } onCancel: {
            kill(-child, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) { kill(-child, SIGKILL) }
        }
        // Output can still be in flight; a background grandchild that keeps the pipes open does
        // not hold the step up for long.
        let drained = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: readers.wait(timeout: .now() + 2)) }
        }
        if drained == .timedOut { kill(-child, SIGKILL) }
        let signalled = waited & 0x7F != 0
        let code = signalled ? waited & 0x7F : (waited >> 8) & 0xFF
        return Outcome(exitCode: code, signalled: signalled)
    }

    /// Starts `arguments` in a process group of its own, with standard input from /dev/null, its
    /// signals at their defaults, and its output into two pipes: the child and the read ends.
    private static func spawn(_ arguments: [String], environment: [String: String], directory: String) throws -> (pid_t, Int32, Int32) {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw SpawnError(description: "cannot create pipes: \(String(cString: strerror(errno)))") }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        guard let addChdir = addChdirFunction else { throw SpawnError(description: "posix_spawn_file_actions_addchdir_np is missing (glibc 2.29 or later is needed)") }
        _ = addChdir(&actions, directory)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group (to kill the tree), default signal handling.
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        guard status == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw SpawnError(description: "cannot start \(arguments[0]): \(String(cString: strerror(status)))")
        }
        return (pid, outPipe[0], errPipe[0])
    }

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc's `posix_spawn_file_actions_addchdir_np` (not exported to Swift by the Glibc module).
    private static let addChdirFunction: AddChdir? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: AddChdir.self)
    }()

    /// Longest line handed on whole; a longer one is split into pieces of this many bytes.
    static let maximumLineBytes = 65_536

    /// Reads `fd` to its end, calling `handler` per line (a last line without a break counts).
    /// Each byte is looked at once, and a line longer than `maximumLineBytes` is handed on in
    /// pieces, so output with no line break costs neither quadratic time nor unbounded memory.
    static func streamLines(_ fd: Int32, _ handler: @Sendable (String) -> Void) {
        var line: [UInt8] = []
        line.reserveCapacity(1024)
        var chunk = [UInt8](repeating: 0, count: 65_536)
        func emit() {
            if line.last == 0x0D { line.removeLast() }
            handler(String(decoding: line, as: UTF8.self))
            line.removeAll(keepingCapacity: true)
        }
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var start = 0
            while start < n {
                let end = chunk[start..<n].firstIndex(of: 0x0A)
                let take = min((end ?? n) - start, maximumLineBytes - line.count)
                line.append(contentsOf: chunk[start..<(start + take)])
                start += take
                if let end, start == end {
                    emit()
                    start += 1
                } else if line.count >= maximumLineBytes {
                    emit()
                }
            }
        }
        if !line.isEmpty { emit() }
    }
}
