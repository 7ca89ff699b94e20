import Foundation
import Glibc

/// Runs a program as a child and waits for it with its own `waitpid`, not Foundation's
/// `Process`: under the full parallel suite, `Process.waitUntilExit` once waited for ever for a
/// child that had exited. Standard input is written from a thread of its own (SIGPIPE blocked
/// there), standard output and error are read together, so no pipe fills while another waits.
public enum Child {
    public struct Ended: Sendable {
        /// The exit code, or 128 + the signal that ended it.
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
    }

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    /// glibc's `pipe2` (not exported to Swift by the Glibc module): pipes that are close-on-exec
    /// from the start, so a child another test spawns meanwhile does not hold them open.
    private static let pipe2Function: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }

    /// Runs `arguments` (the first is the program's path) in `directory` with exactly
    /// `environment`, feeding it `input`.
    public static func run(_ arguments: [String], input: Data = Data(), directory: String? = nil, environment: [String: String]) throws -> Ended {
        var stdinPipe: [Int32] = [0, 0], stdoutPipe: [Int32] = [0, 0], stderrPipe: [Int32] = [0, 0]
        guard let pipe2 = pipe2Function, pipe2(&stdinPipe, O_CLOEXEC) == 0, pipe2(&stdoutPipe, O_CLOEXEC) == 0, pipe2(&stderrPipe, O_CLOEXEC) == 0 else {
            throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        // The working directory, through env(1) (posix_spawn has no portable chdir).
        let argv = (directory.map { ["/usr/bin/env", "-C", $0] } ?? []) + arguments
        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArgv { free(pointer) }
            for pointer in cEnv { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArgv, cEnv)
        for fd in [stdinPipe[0], stdoutPipe[1], stderrPipe[1]] { close(fd) }
        guard spawned == 0 else {
            for fd in [stdinPipe[1], stdoutPipe[0], stderrPipe[0]] { close(fd) }
            throw SpawnError(description: "cannot start \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        let writer = stdinPipe[1]
        let written = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)  // this thread only; it ends after the write
            input.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = write(writer, raw.baseAddress! + done, raw.count - done)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    done += n
                }
            }
            close(writer)
            written.signal()
        }
        var out = Data(), err = Data()
        var open: [(fd: Int32, isOut: Bool)] = [(stdoutPipe[0], true), (stderrPipe[0], false)]
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while !open.isEmpty {
            var pollers = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            if poll(&pollers, nfds_t(pollers.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for (index, poller) in pollers.enumerated().reversed() where poller.revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(poller.fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    close(poller.fd)
                    open.remove(at: index)
                } else if open[index].isOut {
                    out.append(contentsOf: chunk[0..<n])
                } else {
                    err.append(contentsOf: chunk[0..<n])
                }
            }
        }
        for (fd, _) in open { close(fd) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        written.wait()
        let signal = status & 0x7F
        return Ended(status: signal != 0 ? 128 + signal : (status >> 8) & 0xFF, stdout: out, stderr: err)
    }
}
