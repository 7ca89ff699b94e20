import Synchronization

/// Log levels, as Rundeck names them (a job's `loglevel` filters by these).
public enum LogLevel: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case error = 0
    case warn = 1
    case normal = 2
    case verbose = 3
    case debug = 4

    /// Lower levels are more important (error < warn < normal < verbose < debug).
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Rundeck's name: `ERROR`, `WARN`, `NORMAL`, `VERBOSE`, `DEBUG`.
    public var description: String {
        switch self {
        case .error: return "ERROR"
        case .warn: return "WARN"
        case .normal: return "NORMAL"
        case .verbose: return "VERBOSE"
        case .debug: return "DEBUG"
        }
    }

    /// Parses a Rundeck log level name (`INFO` is `NORMAL`), any case.
    public init?(rundeckName: String) {
        switch rundeckName.uppercased() {
        case "ERROR": self = .error
        case "WARN", "WARNING": self = .warn
        case "NORMAL", "INFO": self = .normal
        case "VERBOSE": self = .verbose
        case "DEBUG": self = .debug
        default: return nil
        }
    }
}

/// Where a step's log lines go. The runner's execution log and the step binary's stderr
/// writer implement it; `StepContext.log` redacts secrets before calling it.
public protocol StepLogSink: Sendable {
    func write(_ level: LogLevel, _ message: String)
}

/// A sink that keeps lines in memory (tests, and steps run as libraries).
public final class MemoryLogSink: StepLogSink {
    private let storage = Mutex<[(LogLevel, String)]>([])

    public init() {}

    public func write(_ level: LogLevel, _ message: String) {
        storage.withLock { $0.append((level, message)) }
    }

    /// Every line written so far.
    public var lines: [(level: LogLevel, message: String)] {
        storage.withLock { $0.map { (level: $0.0, message: $0.1) } }
    }
}
