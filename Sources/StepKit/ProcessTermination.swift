import FoundationEssentials
import Synchronization
import Values

#if canImport(Glibc)
    import Glibc
#endif

/// What pdstep must do when it is told to stop (SIGTERM from Kubernetes or an orchestrator,
/// SIGINT from Ctrl-C, SIGHUP from a closed terminal): end the commands it started, remove its
/// temporary files, and say what became of any event that was being sent.
///
/// Layers register what they hold while they hold it (a running command's process group, a
/// temporary folder, an event in flight and its outbox entry); the command line installs the
/// handler and decides what to print and which exit code to answer. The signal handler itself
/// only writes the signal number to a pipe; a thread of its own does the rest.
public enum ProcessTermination {
    /// What was in flight when the signal came.
    public struct Report: Sendable {
        /// The signal's number.
        public var signal: Int32
        /// Outbox files of events that were being sent (not confirmed delivered, kept queued).
        public var queuedEvents: [String]
        /// Events that were being sent with no outbox: not delivered, as far as pdstep knows.
        public var undeliveredEvents: [String]
        /// `SIGTERM`, `SIGINT` or `SIGHUP`.
        public var signalName: String {
            switch signal {
            case SIGTERM: return "SIGTERM"
            case SIGINT: return "SIGINT"
            case SIGHUP: return "SIGHUP"
            default: return "signal \(signal)"
            }
        }
    }

    private struct State {
        var next = 0
        var processGroups: [Int: pid_t] = [:]
        var folders: [Int: String] = [:]
        var events: [Int: (description: String, outboxFile: String?)] = [:]
        var stopping: Int32?
    }

    private static let state = Mutex(State())

    /// A registration; pass it back to `release` when the thing is gone.
    public struct Token: Sendable, Hashable {
        let id: Int
    }

    private static func add(_ body: (inout State, Int) -> Void) -> Token {
        state.withLock { state in
            state.next += 1
            body(&state, state.next)
            return Token(id: state.next)
        }
    }

    /// A running command's process group, signalled when pdstep stops.
    public static func holdProcessGroup(_ group: pid_t) -> Token { add { $0.processGroups[$1] = group } }

    /// A private temporary folder, removed (with everything in it) when pdstep stops.
    public static func holdFolder(_ path: String) -> Token { add { $0.folders[$1] = path } }

    /// An event being sent; `outboxFile` is its outbox entry, written before the first attempt.
    public static func holdEvent(_ description: String, outboxFile: String?) -> Token {
        add { $0.events[$1] = (description, outboxFile) }
    }

    /// Forgets a registration: the command ended, the folder is gone, the event was answered.
    public static func release(_ token: Token) {
        state.withLock { state in
            state.processGroups[token.id] = nil
            state.folders[token.id] = nil
            state.events[token.id] = nil
        }
    }

    /// The signal pdstep is stopping for, once one came.
    public static var stoppingSignal: Int32? { state.withLock { $0.stopping } }

    /// Blocks the calling thread for good when pdstep is stopping, so that a command finishing
    /// at that moment cannot print a second result after the reporter's (which then exits).
    public static func waitIfStopping() {
        guard stoppingSignal != nil else { return }
        while true { pause() }
    }

    nonisolated(unsafe) private static var pipeWrite: Int32 = -1
    nonisolated(unsafe) private static var readEnd: Int32 = -1

    /// What the running command says when stopped; answers the exit code.
    public typealias Reporter = @Sendable (Report) -> Int32

    private static let reporter = Mutex<Reporter?>(nil)

    /// What runs first when a signal comes, before anything is ended.
    public typealias Drain = @Sendable (_ signal: Int32) -> Void

    private static let drain = Mutex<Drain?>(nil)

    /// Sets what runs first when a signal comes, before the registered commands are ended:
    /// `pdstep serve` stops taking webhooks and lets its running jobs finish, returning when they
    /// have or its grace period is over. Meanwhile `stoppingSignal` is still nil (a job that ends
    /// on its own during the drain ends as usual).
    public static func onDrain(_ body: @escaping Drain) {
        drain.withLock { $0 = body }
    }

    /// Sets what the running command prints when a signal stops it (the step binary: its JSON
    /// result; `run`: a log line). Without one, a line on stderr.
    public static func onStop(_ report: @escaping Reporter) {
        reporter.withLock { $0 = report }
    }

    /// Catches SIGTERM, SIGINT and SIGHUP for the whole process. On one: ends every registered
    /// process group (SIGTERM, then SIGKILL after `grace` seconds), removes the registered
    /// folders, lets the reporter say what was in flight, and exits with the code it answers.
    /// Called once, by the executable, before anything else.
    public static func install(grace: Double = 2) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        pipeWrite = fds[1]
        readEnd = fds[0]
        graceSeconds = grace
        // A parent may start pdstep with these signals blocked (a Dispatch thread of the parent
        // blocks nearly all, and a spawned process inherits its spawner's mask): unblocked here,
        // before any thread starts, so every thread takes them.
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&handled, signal) }
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
        var thread = pthread_t()
        pthread_create(&thread, nil, { _ in
            var number: Int32 = 0
            while true {
                let n = read(ProcessTermination.readEnd, &number, MemoryLayout<Int32>.size)
                if n == MemoryLayout<Int32>.size { break }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return nil }
            }
            exit(ProcessTermination.stop(signal: number, grace: ProcessTermination.graceSeconds))
        }, nil)
        for signal in [SIGTERM, SIGINT, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var value = number
                _ = write(ProcessTermination.pipeWrite, &value, MemoryLayout<Int32>.size)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, nil)
        }
    }

    nonisolated(unsafe) private static var graceSeconds: Double = 2

    /// Does what a signal asks for and answers the exit code (exposed for tests).
    static func stop(signal: Int32, grace: Double) -> Int32 {
        if let drain = drain.withLock({ $0 }) { drain(signal) }
        let held = state.withLock { state -> State in
            state.stopping = signal
            return state
        }
        let groups = Array(held.processGroups.values)
        for group in groups { kill(-group, SIGTERM) }
        if !groups.isEmpty {
            let deadline = Date().addingTimeInterval(grace)
            while Date() < deadline && groups.contains(where: { kill(-$0, 0) == 0 }) { usleep(20_000) }
            for group in groups { kill(-group, SIGKILL) }
        }
        for folder in held.folders.values { try? FileManager.default.removeItem(atPath: folder) }
        let events = held.events.values.sorted { $0.description < $1.description }
        let report = Report(
            signal: signal,
            queuedEvents: events.compactMap(\.outboxFile),
            undeliveredEvents: events.filter { $0.outboxFile == nil }.map(\.description))
        if let reporter = reporter.withLock({ $0 }) { return reporter(report) }
        var text = "pdstep: stopped by \(report.signalName)"
        for file in report.queuedEvents { text += "; an event not confirmed delivered is kept in the outbox as \(file)" }
        for event in report.undeliveredEvents { text += "; \(event) was not confirmed delivered (no outbox)" }
        StandardStreams.standardError(text + "\n")
        return report.queuedEvents.isEmpty ? exitCode(for: signal) : 3
    }

    /// The conventional exit code of a process ended by `signal` (128 + its number).
    public static func exitCode(for signal: Int32) -> Int32 { 128 + signal }
}
